//! Rule evaluation shared by both backends: a [`Program`] compiled into matchers once
//! ([`Compiled`]), and the per-event context ([`EvalCtx`]) that computes slot values lazily and
//! evaluates one check at a time.
//!
//! This module owns the *meaning of every check* (the IR's leaves): the reference interpreter
//! ([`interp`]) walks the boolean nodes and calls [`EvalCtx::eval_check`]; the JIT compiles the
//! nodes (and simple integer comparisons) to native code and calls back into the same function
//! through [`rulec_eval_check`] and [`rulec_slot_num`]. So both backends agree by construction.
//!
//! # Semantics decided here
//!
//! * **Absence.** A check on a slot whose value cannot be computed is false (`!=` too);
//!   `exists` is true exactly when the value can be computed.
//! * **Lists.** On a list slot (`fd.types`), `in` holds when the list is non-empty and every
//!   value is in the set (an empty list has no value to test, as in libsinsp), `intersects` when
//!   some value is. A [`Value::List`] on a *scalar* slot (ancestor fields without an index,
//!   `fd.ip`...) means "any of these": every test holds when it holds for some element (for
//!   `!=` too: some ancestor has another name).
//! * **Numbers.** Integers compare exactly (as `i128`), an integer with a double exactly (no
//!   rounding), doubles as IEEE (NaN is unordered: only `!=` holds). A number never equals a
//!   string or a bool. Integer field values are normalised to the slot's signedness (a signed
//!   slot always yields [`Value::Int`], an unsigned one [`Value::Uint`], reinterpreting the 64
//!   bits like the JIT does), so both backends see the same number.
//! * **IPs.** An address equals a network constant when the network contains it (a full-length
//!   prefix is plain equality); IPv4-mapped IPv6 addresses are compared as IPv4.
//! * **Strings.** Operators work on bytes. `icontains` and `iglob` fold ASCII case only (as
//!   libsinsp's `strcasestr` and `fnmatch(FNM_CASEFOLD)` in the C locale). `glob` is fnmatch
//!   without `FNM_PATHNAME` (`*` crosses `/`), `\` escapes, bytes not characters. `regex` is a
//!   full match. `pmatch` matches a path whose leading components are one of the entries' (an
//!   entry's components may be globs, which never cross `/`); repeated and trailing `/` are
//!   ignored.
//! * **Modifiers.** With `oneof`/`anyof`/`allof` the patterns are counted as written (a pattern
//!   listed twice counts twice): exactly one, at least one, all. `allof ()` holds (vacuously),
//!   `anyof ()` and `oneof ()` do not.
//! * **Transformers**, computed from their input slots: `tolower`/`toupper` ASCII; `b64`
//!   standard alphabet with optional padding, absent when the input does not decode; `basename`
//!   the text after the last `/` (`/usr/bin/` → empty); `len` bytes of a string or count of a
//!   list; `join(sep, list)`; `concat(...)` absent if any input is; `getopt(args, "opts")[c]`
//!   POSIX getopt over the whitespace-separated arguments (scanning stops at `--` or the first
//!   non-option; an unknown option is skipped): the argument of the last `-c` for an option
//!   taking one, the empty string for a flag that is present, absent otherwise.
//!
//! # Files
//!
//! `compiled.rs` builds the per-program plans ([`Compiled`], the read paths) from the matchers
//! of `matcher.rs`; `compare.rs` (numbers, IPs, constant sets), `strings.rs`, `glob.rs` and
//! `pmatch.rs` are the tests themselves; `shared.rs` the string passes that decide all the
//! string tests on one slot at once; `thread_memo.rs` the group of the other tests on values of
//! the thread and its parent, whose verdicts are remembered per thread; `transform.rs` the transformers; `context.rs` the
//! per-event context and slot cache ([`EvalCtx`], [`SlotCache`]); `leaf.rs` evaluates one check
//! through its read path; `callbacks.rs` is the JIT's C-ABI way in. `interp.rs` walks nodes,
//! `order.rs` reorders junctions from observed outcomes.
//!
//! # Robustness
//!
//! Nothing here panics on event data; still, each check runs under `catch_unwind`: a panic
//! (a rulec bug) makes the check false and is counted ([`SlotCache::panics`]), and never
//! unwinds across the JIT's FFI boundary.

pub mod interp;
pub mod order;

mod callbacks;
mod compare;
mod compiled;
mod context;
mod glob;
mod leaf;
mod matcher;
mod pmatch;
mod shared;
mod strings;
mod thread_memo;
mod transform;

// The pieces see one another through this module (each has `use super::*`); the public API is
// re-exported under its old paths.
pub use callbacks::{JIT_CALLBACKS, rulec_eval_check, rulec_slot_num, rulec_slot_str};
use compare::*;
pub use compiled::Compiled;
use compiled::*;
use context::Reach;
pub use context::{EvalCtx, SlotCache};
pub use glob::Glob;
use glob::*;
use leaf::{SlotBytes, num_of};
use matcher::*;
use pmatch::*;
use shared::*;
use strings::*;
use thread_memo::*;
use transform::*;
pub use transform::{b64_decode, getopt};

use std::cmp::Ordering;
use std::ffi::c_void;
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use aho_corasick::AhoCorasick;
use rulec_ir::FieldArgValue;
// Constant sets are hashed once and probed on every event with event data: Fx hashing (a
// probe costs the same whatever the data; the table's shape is fixed by the rules' constants).
use rulec_ir::{CheckId, Cmp, Const, Node, NodeId, Program, Slot, SlotId, SlotInput, SlotOp, StrOp, Test};
use rulec_ir::{Modifier, Transformer};
use rulec_schema::{FieldInfo, FieldType};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::event::Event;
use crate::fields;
use crate::jit::{SlotReaders, VerdictBit, VerdictHeader};
use crate::state::State;
use crate::value::{Value, ValueRef};

/// A field source: the value of a field for an event. [`fields::extract`] is the real one;
/// tests and tools may give another ([`Compiled::with_extractor`]).
pub type ExtractFn = fn(&'static FieldInfo, Option<&FieldArgValue>, &Event, &State) -> Option<Value>;
