//! The rulec runtime: the event model, the process and fd state machine that enriches events,
//! capture replay, and (later) rule evaluation and alert delivery. One state machine serves live
//! capture, replay and golden tests alike.
//!
//! * [`event`]: [`Event`], [`ParamValue`] and rendering params as Falco's `evt.arg.X` text.
//! * [`flags`]: PPM flag tables and errno names used for rendering.
//! * [`state`]: the thread/process table and fd tables, updated by [`State::apply`].
//! * [`scap`]: the `.scap` capture reader.
//! * [`replay`]: reading a capture through the state machine.

pub mod event;
pub mod flags;
pub mod replay;
pub mod scap;
pub mod state;
pub mod value;

pub use event::{Direction, Event, Param, ParamType, ParamValue, SockAddr, SockTuple};
pub use replay::{Replay, replay};
pub use scap::{ScapError, ScapReader};
pub use state::{FdInfo, FdKind, Limits, SockInfo, SockRole, State, Stats, ThreadInfo};
pub use value::Value;
