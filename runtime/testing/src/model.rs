//! The test-file model: what a parsed `*.tests.yaml` says, with every default already decided
//! where it does not depend on the state (timestamps, the default process) and a location for
//! everything a report or `--bless` points at.
//!
//! [`super::parse`] builds it from YAML; [`super::world`] turns a [`World`] into a
//! [`rulec_runtime::State`]; [`super::run`] runs [`Case`]s. The format itself is documented in
//! `docs/testing.md` and `docs/rulec-test.schema.json`.

use std::net::IpAddr;

use rulec_compiler::Location;
use rulec_compiler::items::Priority;

use rulec_runtime::engine::MatchMode;
use rulec_runtime::event::{Direction, ParamValue, SockAddr};

/// Nanoseconds since the epoch of the first event of every case: 2024-01-01T00:00:00Z, so
/// outputs (which print the time) are the same on every run.
pub const BASE_TIME: u64 = 1_704_067_200_000_000_000;
/// Time between two events when the case does not say (`after:`): one millisecond.
pub const DEFAULT_STEP: u64 = 1_000_000;
/// How long a world process has been running at the first event when the case does not say
/// (`age:`): one hour, so "process is new" conditions are false by default.
pub const DEFAULT_AGE: u64 = 3_600_000_000_000;
/// The pid of the process events belong to when neither the event nor the world names one.
pub const DEFAULT_PID: i64 = 100;

/// One parsed test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// The rules files to load, in order, as written (relative to the test file's directory);
    /// empty when the file does not say, in which case the runner uses the rules file beside it.
    pub rules: Vec<(String, Location)>,
    /// Falco's `rule_matching`: `first` (Falco's default) or `all`.
    pub match_mode: MatchMode,
    pub cases: Vec<Case>,
}

/// One case (a parameterised case gives one per parameter set).
#[derive(Clone, Debug)]
pub struct Case {
    /// The name, parameters substituted; unique in the file.
    pub name: String,
    /// The whole case map as written (for a parameterised case, the template).
    pub loc: Location,
    /// The index of the written case in the file's `cases` (instances of one template share it).
    pub template: usize,
    /// For an instance of a parameterised case: `name=value, ...`.
    pub instance: Option<String>,
    /// The rules this case is about (`rule:`): a case that does not expect one of them is a
    /// negative case for it (coverage).
    pub about: Vec<(String, Location)>,
    /// `skip: reason`.
    pub skip: Option<String>,
    /// Rules to switch on or off for this case only.
    pub enable: Vec<(String, Location)>,
    pub disable: Vec<(String, Location)>,
    pub input: Input,
    pub expect: Vec<Expect>,
    /// The `expect` key and its value as written, when present (what `--bless` replaces).
    pub expect_loc: Option<(Location, Location)>,
    /// `allow_other_alerts: true`: alerts not listed in `expect` do not fail the case.
    pub allow_other_alerts: bool,
}

/// Where a case's events come from.
#[derive(Clone, Debug)]
pub enum Input {
    /// A written world and events.
    Events { world: World, events: Vec<EventSpec> },
    /// A recorded capture, path as written (relative to the test file's directory).
    Capture { path: String, loc: Location },
}

/// The starting world of a case.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub processes: Vec<ProcessSpec>,
    pub users: Vec<UserSpec>,
    /// Reverse DNS for `fd.*ip.name`: address → name.
    pub dns: Vec<(IpAddr, String)>,
}

/// A process (its main thread) of the world.
#[derive(Clone, Debug)]
pub struct ProcessSpec {
    pub pid: i64,
    pub ppid: i64,
    /// Other thread ids of the process.
    pub threads: Vec<i64>,
    /// `comm` (`proc.name`).
    pub name: String,
    /// argv[0] (`proc.exe`).
    pub exe: String,
    /// `proc.exepath`.
    pub exepath: String,
    pub args: Vec<String>,
    pub uid: u32,
    pub gid: u32,
    /// A user name to put in the user table for `uid` (in the process's container).
    pub user_name: Option<String>,
    pub loginuid: u32,
    pub cwd: String,
    pub env: Vec<String>,
    pub tty: u32,
    pub vpid: Option<i64>,
    pub container: Option<ContainerSpec>,
    /// Effective (and permitted) capabilities; `None`: the default for the user and container.
    pub caps: Option<u64>,
    /// How long the process has been running at the first event.
    pub age: u64,
    /// PPM execve exit flags (`EXE_UPPER_LAYER`...).
    pub exe_flags: u32,
    /// Open fds besides 0-2 (which default to `/dev/null`, or the tty).
    pub fds: Vec<FdSpec>,
    pub loc: Location,
}

/// A container, with the metadata Falco's container plugin would supply.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSpec {
    /// 12 to 64 hex digits; padded to the full 64-digit id for the cgroup path.
    pub id: String,
    pub name: Option<String>,
    /// `repository[:tag]`.
    pub image: Option<String>,
    pub privileged: bool,
}

/// A user-table entry.
#[derive(Clone, Debug)]
pub struct UserSpec {
    pub uid: u32,
    pub gid: u32,
    pub name: String,
    pub home: String,
    pub shell: String,
    /// The container whose table it is in (`None`: the host).
    pub container: Option<String>,
}

/// An open fd of a world process.
#[derive(Clone, Debug)]
pub enum FdSpec {
    File { fd: i64, path: String, flags: u32 },
    Dir { fd: i64, path: String },
    Socket { fd: i64, udp: bool, local: Option<SockAddr>, remote: Option<SockAddr>, server: bool },
    Unix { fd: i64, path: String },
    Pipe { fd: i64 },
}

impl FdSpec {
    pub fn fd(&self) -> i64 {
        match self {
            FdSpec::File { fd, .. }
            | FdSpec::Dir { fd, .. }
            | FdSpec::Socket { fd, .. }
            | FdSpec::Unix { fd, .. }
            | FdSpec::Pipe { fd } => *fd,
        }
    }
}

/// One written event: the parameters given, by table name; the rest are filled in when it
/// runs (see [`super::world`]).
#[derive(Clone, Debug)]
pub struct EventSpec {
    /// The thread; `None`: the default process.
    pub tid: Option<i64>,
    pub name: &'static str,
    pub dir: Direction,
    pub params: Vec<(&'static str, ParamValue)>,
    /// Nanoseconds since the epoch.
    pub ts: u64,
    pub loc: Location,
}

/// One expected alert.
#[derive(Clone, Debug)]
pub struct Expect {
    pub rule: String,
    pub rule_loc: Location,
    pub priority: Option<Priority>,
    /// The exact message (the rule's output with fields substituted).
    pub output: Option<String>,
    /// Substrings the message must contain.
    pub output_contains: Vec<String>,
    /// Output fields (as written in the rule's output) and their expected values.
    pub fields: Vec<(String, String)>,
    /// The 1-based number of the event that must raise it.
    pub event: Option<usize>,
    pub loc: Location,
}

// ---- facts every world shares (the parser and the world builder read them) ------------------

/// Linux capabilities a default (non-privileged) Docker container gets.
pub const CAPS_CONTAINER: u64 = 0x0000_0000_a80c_25fb;
/// Every capability (root on the host, a privileged container).
pub const CAPS_ALL: u64 = 0x0000_01ff_ffff_ffff;

/// The uid of a user every test world has.
pub fn well_known_uid(name: &str) -> Option<u32> {
    WELL_KNOWN_USERS.iter().find(|(n, _)| *n == name).map(|(_, u)| *u)
}

/// The users of every host and container user table.
pub const WELL_KNOWN_USERS: &[(&str, u32)] =
    &[("root", 0), ("daemon", 1), ("bin", 2), ("sys", 3), ("mail", 8), ("www-data", 33), ("nobody", 65534)];

/// NUL-terminated strings one after the other (execve `args`, `env`, `cgroups`).
pub fn nul_join<S: AsRef<str>>(items: &[S]) -> Vec<u8> {
    let mut b = Vec::new();
    for i in items {
        b.extend_from_slice(i.as_ref().as_bytes());
        b.push(0);
    }
    b
}
