//! The rulec runtime: the event model, the process and fd state machine that enriches events,
//! capture replay, and (later) rule evaluation and alert delivery. One state machine serves live
//! capture, replay and golden tests alike.
//!
//! * [`event`]: [`Event`], [`ParamValue`] and rendering params as Falco's `evt.arg.X` text.
//! * [`flags`]: PPM flag tables, errno and capability names (the schema's, re-exported).
//! * [`state`]: the thread/process table and fd tables, updated by [`State::apply`].
//! * [`scap`]: the `.scap` capture reader.
//! * [`replay`]: reading a capture through the state machine.
//! * [`capture`]: rulec's own JSON Lines capture format (writer, reader, either-format open).
//! * [`eval`]: a rule program compiled into matchers, the per-event evaluation context and
//!   the reference interpreter; [`engine`]: rules indexed by event type, first/all matching,
//!   alerts, on the interpreter or the JIT.

pub mod capture;
pub mod engine;
pub mod eval;
pub mod event;
pub mod fields;
pub use rulec_schema::flags;
/// The typed parameter keys ([`Event::get`]), re-exported for the crates built on the runtime.
pub use rulec_schema::params;
pub mod jit;
pub mod state;
pub mod syscalls;
pub mod value;

/// The capture readers keep their old paths (`rulec_runtime::scap`, `rulec_runtime::replay`).
pub use capture::{replay, scap};

pub use event::{Direction, Event, Param, ParamRef, ParamType, ParamValue, Params, SockAddr, SockTuple};
pub use replay::{EventSource, IterSource, Read, Replay, WantedTypes, replay};
pub use scap::{ScapError, ScapReader};
pub use state::{FdInfo, FdKind, Limits, SockInfo, SockRole, State, Stats, ThreadInfo};
pub use value::Value;
