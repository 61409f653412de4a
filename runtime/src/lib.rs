//! The rulec runtime: the event model, the process and fd state machine that enriches events,
//! capture replay, and (later) rule evaluation and alert delivery. One state machine serves live
//! capture, replay and golden tests alike.
