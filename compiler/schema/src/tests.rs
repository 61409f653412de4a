//! Unit tests of the schema: the embedded tables parse completely, lookups follow Falco's
//! rules, and every event type and parameter the upstream rules use is known.

use std::collections::HashSet;

use rulec_grammar::ast::Op;

use super::*;

#[test]
fn embedded_tables_parse_completely() {
    let s = schema();
    assert!(s.load_errors().is_empty(), "load errors: {:#?}", s.load_errors());
    assert_eq!(s.fields().len(), 294);
    let field_rows = FIELDS_TSV.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
    assert_eq!(field_rows, 294);

    // Every row of events.tsv became one half of one event.
    let event_rows = EVENTS_TSV.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
    let halves: usize = s.events().map(|e| usize::from(e.enter.is_some()) + usize::from(e.exit.is_some())).sum();
    assert_eq!(halves, event_rows);
    let names: HashSet<&str> = EVENTS_TSV.lines().skip(1).filter_map(|l| l.split('\t').nth(3)).collect();
    assert_eq!(s.events().count(), names.len());
    assert_eq!(s.events().count(), 451);
}

#[test]
fn every_field_has_its_own_description() {
    let s = schema();
    for f in s.fields() {
        assert!(!f.description.trim().is_empty(), "no description for {}", f.name);
        assert!(f.description.ends_with('.'), "description of {} is not a sentence", f.name);
    }
}

/// The first eight columns of `data/fields.tsv` are Falco's field table as facts, unchanged; the
/// last two (`multi`, `description`) are rulec's own.
#[test]
fn falco_columns_match_the_reference_table() {
    let Some(reference) = rulec_test_support::shared("reference/fields.tsv") else { return };
    let reference = std::fs::read_to_string(reference).expect("read reference/fields.tsv");
    let ours: Vec<String> = FIELDS_TSV.lines().map(|l| l.split('\t').take(8).collect::<Vec<_>>().join("\t")).collect();
    let theirs: Vec<&str> = reference.lines().collect();
    assert_eq!(ours, theirs);
    assert!(FIELDS_TSV.lines().all(|l| l.split('\t').count() == fields::COLUMNS));
}

#[test]
fn flags_agree_with_columns() {
    let s = schema();
    for f in s.fields() {
        assert_eq!(f.flags.is_list, f.is_list, "{}", f.name);
        if f.flags.arg_required {
            assert_eq!(f.arg, ArgSpec::Required, "{}", f.name);
        }
        if f.flags.arg_allowed {
            assert_eq!(f.arg, ArgSpec::Optional, "{}", f.name);
        }
    }
    // The `[no val()/field RHS...]` note of the ops column restates the NO_RHS flag.
    for line in FIELDS_TSV.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let f = s.field(cols[1]).expect("field");
        assert_eq!(cols[7].contains("[no val()"), f.flags.no_rhs, "{}", f.name);
        assert_eq!(cols[7].contains("no transformer"), f.flags.no_transformer, "{}", f.name);
    }
}

#[test]
fn operators_follow_the_type() {
    let s = schema();
    for f in s.fields() {
        if f.ops_depend_on_param {
            assert_eq!(f.name, "evt.rawarg");
            continue;
        }
        if f.is_list {
            assert_eq!(f.ops, OpSet::of(&[Op::In, Op::Intersects, Op::Exists]), "{}", f.name);
        } else {
            // Including `in`/`intersects` on scalars, which Falco allows (membership).
            assert_eq!(f.ops, f.ty.default_ops(), "{}", f.name);
        }
        assert_eq!(f.ops, ops_for_type(f.ty, f.is_list), "{}", f.name);
        assert!(f.allows_op(Op::Exists), "{}", f.name);
    }
    let name = s.field("proc.name").expect("proc.name");
    assert!(name.allows_op(Op::Glob) && name.allows_op(Op::PMatch) && !name.allows_op(Op::BContains));
    let buf = s.field("evt.buffer").expect("evt.buffer");
    assert!(buf.allows_op(Op::BContains) && buf.allows_op(Op::BStartsWith) && !buf.allows_op(Op::Glob));
    let pid = s.field("proc.pid").expect("proc.pid");
    assert!(pid.allows_op(Op::Lt) && !pid.allows_op(Op::Contains));
    let ip = s.field("fd.sip").expect("fd.sip");
    assert!(ip.allows_op(Op::In) && !ip.allows_op(Op::Lt));
}

#[test]
fn field_types() {
    let s = schema();
    let ty = |n: &str| s.field(n).map(|f| f.ty);
    assert_eq!(ty("proc.name"), Some(FieldType::CharBuf));
    assert_eq!(ty("evt.num"), Some(FieldType::Uint64));
    assert_eq!(ty("fd.sport"), Some(FieldType::Port));
    assert_eq!(ty("fd.net"), Some(FieldType::IpNet));
    assert_eq!(ty("evt.rawarg"), Some(FieldType::Dyn));
    assert_eq!(ty("evt.cpu"), Some(FieldType::Int16));
    assert!(FieldType::Port.is_numeric() && FieldType::RelTime.is_numeric() && !FieldType::Bool.is_numeric());
    assert!(FieldType::CharBuf.is_string() && !FieldType::ByteBuf.is_string());
    assert_eq!(FieldType::CharBuf.display_name(), "string");
    assert_eq!(FieldType::Uint64.to_string(), "uint64");
    assert_eq!(FieldType::IpAddr.display_name(), "ipaddr");
    let fdtypes = s.field("fd.types").expect("fd.types");
    assert!(fdtypes.is_list && fdtypes.arg == ArgSpec::Optional);
    let mount = s.field("container.mount.dest").expect("mount");
    assert_eq!((mount.arg, mount.arg_kind), (ArgSpec::Required, ArgKind::IndexOrKey));
    assert_eq!(s.field("k8s.pod.label").map(|f| f.arg_kind), Some(ArgKind::Key));
    assert!(s.field("util.cnt").is_some_and(|f| f.is_hidden()));
    assert!(s.field("evt.count.procinfo").is_some_and(|f| f.is_hidden()));
    assert!(s.field("proc.name").is_some_and(|f| !f.is_hidden()));
    assert_eq!(s.field("evt.type").map(|f| f.class_id()), Some("evt"));
    assert_eq!(s.field("container.id").map(|f| f.class_id()), Some("container plugin"));
    assert_eq!(s.field("util.cnt").map(|f| f.class_id()), Some("util"));
    assert_eq!(s.classes().len(), 10);
}

#[test]
fn resolve_exact_and_dot_arguments() {
    let s = schema();
    let r = |w: &str| s.resolve_field(w).map(|(f, a)| (f.name, a));
    assert_eq!(r("proc.name"), Some(("proc.name", None)));
    assert_eq!(r("proc.namex"), None);
    assert_eq!(r("proc.name.x"), None, "proc.name takes no argument");
    assert_eq!(r("proc.aname.2"), None, "brackets only");
    assert_eq!(r("evt.arg.flags"), Some(("evt.arg", Some("flags".to_string()))));
    assert_eq!(r("evt.rawarg.res"), Some(("evt.rawarg", Some("res".to_string()))));
    assert_eq!(r("evt.type.is.open"), Some(("evt.type.is", Some("open".to_string()))));
    assert_eq!(r("thread.cgroup.cpuset"), Some(("thread.cgroup", Some("cpuset".to_string()))));
    assert_eq!(r("thread.cgroups"), Some(("thread.cgroups", None)));
    assert_eq!(r("evt.type"), Some(("evt.type", None)), "an exact field wins over a prefix");
    assert_eq!(r("evt.type.is"), Some(("evt.type.is", None)));
    assert_eq!(r("evt.args"), Some(("evt.args", None)));
    assert_eq!(r("evt.arg"), Some(("evt.arg", None)));
    assert_eq!(r("evt.arg."), None);
    assert_eq!(r("evt.abspath.src"), Some(("evt.abspath", Some("src".to_string()))));
    assert_eq!(r("evt.abspath.foo"), None);
    assert_eq!(r("evt.latency.s"), Some(("evt.latency.s", None)));
    assert_eq!(r("container.mount.dest"), Some(("container.mount.dest", None)));
    assert_eq!(r(""), None);
    assert_eq!(r("."), None);
    assert_eq!(r("évt.arg.é"), None);
    // Every dot-argument field exists and takes an argument.
    for (name, _) in DOT_ARG_FIELDS {
        assert!(s.field(name).is_some_and(|f| f.arg.accepts_arg()), "{name}");
    }
}

#[test]
fn suggestions() {
    let s = schema();
    assert_eq!(s.suggest_field("proc.nmae"), Some("proc.name"));
    assert_eq!(s.suggest_field("proc.namex"), Some("proc.name"));
    assert_eq!(s.suggest_field("Proc.Name"), Some("proc.name"));
    assert_eq!(s.suggest_field("fd.nam"), Some("fd.name"));
    assert_eq!(s.suggest_field("container.imag"), Some("container.image"));
    assert_eq!(s.suggest_field("proc.cmdlin"), Some("proc.cmdline"));
    assert_eq!(s.suggest_field("usr.name"), Some("user.name"));
    assert_eq!(s.suggest_field("proc.name"), None, "known fields get no suggestion");
    assert_eq!(s.suggest_field("evt.arg.flags"), None);
    assert_eq!(s.suggest_field("completely.unrelated"), None);
    assert_eq!(s.suggest_field("x"), None);
    assert_eq!(s.suggest_field(""), None);
    assert_eq!(s.suggest_event("opne"), Some("open"));
    assert_eq!(s.suggest_event("execv"), Some("execve"));
    assert_eq!(s.suggest_event("open"), None);
}

#[test]
fn edit_distance_basics() {
    assert_eq!(edit_distance("", ""), 0);
    assert_eq!(edit_distance("abc", ""), 3);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("name", "nmae"), 1);
    assert_eq!(edit_distance("proc.name", "proc.name"), 0);
}

#[test]
fn event_lookup() {
    let s = schema();
    let open = s.event("open").expect("open");
    assert_eq!(open.section, Section::Syscall);
    assert!(open.default);
    let enter = open.enter.as_ref().expect("open enter");
    assert_eq!(enter.iter().map(|p| p.name).collect::<Vec<_>>(), ["name", "flags", "mode"]);
    let flags = open.param("flags").expect("flags");
    assert_eq!(flags.ty, ParamType::Flags32);
    assert!(flags.flags.contains(&"O_TRUNC") && flags.flags.contains(&"O_RDONLY"));
    assert_eq!(open.param("fd").map(|p| p.ty), Some(ParamType::Fd));

    let read = s.event("read").expect("read");
    assert!(!read.default && read.enter.is_none() && read.exit.is_some());
    let getsockname = s.event("getsockname").expect("getsockname");
    assert_eq!(getsockname.exit.as_deref(), Some(&[][..]));
    assert!(s.event("adjtimex").is_some_and(EventInfo::is_generic));
    assert!(!open.is_generic());
    assert_eq!(s.event("switch").map(|e| e.section), Some(Section::Tracepoint));
    assert_eq!(s.event("pluginevent").map(|e| e.section), Some(Section::Plugin));
    assert_eq!(s.event("container").map(|e| e.section), Some(Section::Meta));
    assert!(s.event("nosuchevent").is_none());

    for e in s.events() {
        for (_, p) in e.params() {
            // Every parameter type maps, or is one of the opaque ones.
            if p.ty.field_type().is_none() {
                assert!(
                    matches!(p.ty, ParamType::SockAddr | ParamType::SockTuple | ParamType::FdList | ParamType::Dynamic),
                    "{}.{}",
                    e.name,
                    p.name
                );
            }
        }
    }
}

#[test]
fn event_names_accepted_like_falco() {
    let s = schema();
    for n in ["open", "openat", "openat2", "creat", "execve", "execveat", "connect", "accept", "accept4", "switch"] {
        assert!(s.is_event_name(n), "{n}");
    }
    for n in EXTRA_EVENT_TYPE_NAMES {
        assert!(s.is_event_name(n), "{n}");
        assert!(s.event(n).is_none(), "{n} is listed in events.tsv; drop it from the extras");
    }
    assert!(s.is_event_name("pread64") && s.is_event_name("syscall") && s.is_event_name("sched_process_exit"));
    assert!(!s.is_event_name("Open"));
    assert!(!s.is_event_name("nosuchsyscall"));
    assert!(!s.is_event_name(""));

    let universe = s.syscall_event_names();
    let set: HashSet<&str> = universe.iter().copied().collect();
    assert_eq!(set.len(), universe.len(), "no duplicates");
    assert!(set.contains("open") && set.contains("switch") && set.contains("procexit") && set.contains("adjtimex"));
    assert!(!set.contains("pluginevent"));
    assert_eq!(universe.len(), s.events().count() - 1);
}

#[test]
fn parameters() {
    let s = schema();
    assert!(s.is_param_name("flags") && s.is_param_name("newpath") && s.is_param_name("request"));
    assert!(!s.is_param_name("res_or_fd"));
    let with_flags = s.events_with_param("flags");
    assert!(with_flags.iter().any(|(e, p)| e.name == "open" && p.ty == ParamType::Flags32));
    assert!(s.events_with_param("nosuchparam").is_empty());
    let in_rule = s.param_in_events(&["open", "openat", "connect", "nosuchevent"], "flags");
    let names: Vec<&str> = in_rule.iter().map(|(e, _)| e.name).collect();
    assert_eq!(names, ["open", "openat"]);
    assert_eq!(s.param_in_events(&["ptrace"], "request").first().map(|(_, p)| p.ty), Some(ParamType::EnumFlags16));
}

/// Every `evt.type` value and every `evt.arg.NAME` the upstream rules use must be known.
#[test]
fn conformance_rules_use_known_event_types_and_params() {
    let Some(dir) = rulec_test_support::shared("conformance/falco") else { return };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("{} is not a readable directory", dir.display());
    };
    let s = schema();
    let in_list = regex::Regex::new(r"evt\.type\s*in\s*\(([^)]*)\)").expect("regex");
    let eq = regex::Regex::new(r"evt\.type\s*(?:!=|==|=)\s*([A-Za-z0-9_]+)").expect("regex");
    let arg = regex::Regex::new(r"evt\.(?:raw)?arg\.([A-Za-z0-9_]+)").expect("regex");
    let key_re = regex::Regex::new(r"^\s*(?:-\s*)?([A-Za-z_]+):").expect("regex");
    let mut files = 0;
    let mut used = 0;
    let mut unknown = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        files += 1;
        // Only condition and output text: comments and `desc:` prose mention names freely.
        let mut key = String::new();
        let mut code = String::new();
        for line in text.lines() {
            if let Some(c) = key_re.captures(line) {
                key = c[1].to_string();
            }
            if (key == "condition" || key == "output") && !line.trim_start().starts_with('#') {
                code.push_str(line);
                code.push('\n');
            }
        }
        for c in in_list.captures_iter(&code) {
            for name in c[1].split(',').map(str::trim).filter(|n| !n.is_empty()) {
                used += 1;
                if !s.is_event_name(name) {
                    unknown.push(format!("{}: evt.type {name}", path.display()));
                }
            }
        }
        for c in eq.captures_iter(&code) {
            used += 1;
            if !s.is_event_name(&c[1]) {
                unknown.push(format!("{}: evt.type {}", path.display(), &c[1]));
            }
        }
        for c in arg.captures_iter(&code) {
            used += 1;
            if !s.is_param_name(&c[1]) {
                unknown.push(format!("{}: evt.arg.{}", path.display(), &c[1]));
            }
        }
    }
    assert!(files > 0, "no rules files in {}", dir.display());
    assert!(used > 0);
    assert!(unknown.is_empty(), "unknown names: {unknown:#?}");
}

#[test]
fn scap_event_table_parses_completely() {
    assert_eq!(crate::event_table_load_errors(), &[] as &[String]);
    let t = crate::event_table();
    assert!(t.len() > 400, "{} rows", t.len());
    for (i, e) in t.iter().enumerate() {
        assert_eq!(usize::from(e.id), i);
        if !e.enum_name.is_empty() {
            assert_eq!(e.dir, Dir::of_id(e.id), "{}", e.enum_name);
        }
    }
    let open_x = crate::newest_event_def("open", Dir::Exit).unwrap();
    assert_eq!(open_x.enum_name, "PPME_SYSCALL_OPEN_X");
    assert!(open_x.creates_fd() && open_x.is_syscall() && !open_x.large_payload());
    assert_eq!(open_x.category.class.as_str(), "file");
    assert_eq!(open_x.param_index("name"), Some(1));
    assert!(crate::is_generic_id(1) && !crate::is_generic_id(2));
}

/// The listing (`events.tsv`) takes each half's parameters from the scap table: the newest row
/// of its name and direction, or the generic row for the syscalls without a dedicated event.
#[test]
fn listing_takes_parameters_from_the_scap_table() {
    let s = schema();
    let (mut dedicated, mut generic) = (0, 0);
    for e in &s.events {
        for (dir, half) in [(Dir::Enter, &e.enter), (Dir::Exit, &e.exit)] {
            let Some(params) = half else { continue };
            let listed: Vec<(&str, ParamType)> = params.iter().map(|p| (p.name, p.ty)).collect();
            match crate::newest_event_def(e.name, dir) {
                Some(def) => {
                    dedicated += 1;
                    assert_eq!(listed, def.params, "{} {dir:?}", e.name);
                }
                None => {
                    generic += 1;
                    assert!(e.is_generic(), "{} {dir:?}", e.name);
                }
            }
        }
    }
    assert_eq!((dedicated, generic), (185, 544));
}

/// Every parameter the per-event facts name exists in that event's table row, with a path or
/// fd type: a renamed parameter fails here, not silently at run time.
#[test]
fn path_facts_name_existing_parameters() {
    let names = [
        "mkdir",
        "rmdir",
        "unlink",
        "mkdirat",
        "unlinkat",
        "open",
        "creat",
        "openat",
        "openat2",
        "chmod",
        "fchmodat",
        "rename",
        "link",
        "renameat",
        "renameat2",
        "linkat",
        "symlink",
        "symlinkat",
    ];
    for name in names {
        let paths = crate::syscall_paths(name).unwrap_or_else(|| panic!("{name} has no paths"));
        let def = crate::newest_event_def(name, Dir::Exit).unwrap_or_else(|| panic!("{name} has no exit row"));
        let ps = match paths {
            crate::SyscallPaths::One(p) => vec![p],
            crate::SyscallPaths::Two { source, target } => vec![source, target],
        };
        for p in ps {
            let ty = def.params.iter().find(|(n, _)| *n == p.path.name()).map(|(_, t)| *t);
            assert!(
                matches!(ty, Some(ParamType::FsPath | ParamType::FsRelPath | ParamType::CharBuf)),
                "{name}: {} is {ty:?}",
                p.path.name()
            );
            if let Some(d) = p.dirfd.map(|d| d.name()) {
                let ty = def.params.iter().find(|(n, _)| *n == d).map(|(_, t)| *t);
                assert!(matches!(ty, Some(ParamType::Fd | ParamType::Fd32)), "{name}: {d} is {ty:?}");
            }
        }
    }
    assert!(crate::syscall_paths("read").is_none());
    for name in ["eventfd", "socket", "accept4", "fcntl"] {
        assert!(crate::creates_fd_from_res(name), "{name}");
    }
}

/// The fd kinds' table has every kind once, in declaration order, with distinct names and
/// numbers that read back.
#[test]
fn fd_kind_names_and_numbers_read_back() {
    for (i, k) in FdKind::all().enumerate() {
        assert_eq!(k as usize, i, "{k:?} out of order");
        assert_eq!(FdKind::from_ident(k.ident()), Some(k));
        if let Some(n) = k.scap_type() {
            assert_eq!(FdKind::from_scap(n), k);
        }
    }
    assert_eq!(FdKind::all().count(), FdKind::Unsupported as usize + 1);
    assert_eq!(FdKind::from_short_name("eventfd"), Some(FdKind::EventFd));
    assert_eq!((FdKind::from_scap(3), FdKind::from_scap(99)), (FdKind::Unsupported, FdKind::Unsupported));
}

/// The fd table parses, and every event it names has an exit row with the fd where it says.
#[test]
fn fd_table_names_existing_events() {
    assert!(crate::fd_events_load_errors().is_empty(), "{:#?}", crate::fd_events_load_errors());
    let c = crate::fd_creation("eventfd2").expect("eventfd2");
    assert_eq!((c.kind, c.fd, c.name), (Some(FdKind::EventFd), FdSource::Res, Some("anon_inode:[eventfd]")));
    for line in include_str!("../data/fd_events.tsv").lines().skip(1) {
        let event = line.split('\t').next().unwrap_or_default();
        let c = crate::fd_creation(event).unwrap_or_else(|| panic!("{event}"));
        let def = crate::newest_event_def(event, Dir::Exit).unwrap_or_else(|| panic!("{event} has no exit row"));
        let at = match c.fd {
            FdSource::Res => "res",
            FdSource::FdParam => "fd",
        };
        assert!(def.param_index(at).is_some() || at == "res", "{event}: no `{at}`");
    }
}

/// Every parameter type of the table has a family (build.rs names each key's from it), and
/// the generated keys point at their parameter in every version of their event.
#[test]
fn typed_keys_follow_the_table() {
    for def in event_table() {
        for (name, ty) in &def.params {
            let spelled = TABLE_TYPE_NAMES.iter().find(|t| ParamType::parse(t) == Some(*ty));
            assert!(spelled.is_some_and(|t| param_family::family_of(t).is_some()), "{} {name}: {ty:?}", def.name);
        }
    }
    for t in TABLE_TYPE_NAMES {
        assert_eq!(ParamType::parse(t).is_some(), param_family::family_of(t).is_some(), "{t}");
    }
    // execve exits: `exe` is the second parameter of each of the 8 versions.
    let exe = params::execve_x::EXE;
    assert_eq!(exe.ids().count(), 8);
    for id in exe.ids() {
        let def = event_def(id).expect("row");
        assert_eq!((def.name, def.dir, def.param_index("exe")), ("execve", Dir::Exit, exe.index_in(id)));
    }
    assert_eq!(params::open_x::FD.index_in(3), Some(0));
    assert_eq!(params::open_x::FD.index_in(5), None, "close exit is not an open");
    assert_eq!((params::any::FD.index_in(5), params::any::FD.index_in(3)), (Some(1), Some(0)));
    assert_eq!(params::any::FD.index_in(13), None, "execve has no fd");
}

/// The type names the tables spell (libs' `PT_*` without the prefix).
const TABLE_TYPE_NAMES: &[&str] = &[
    "NONE",
    "INT8",
    "INT16",
    "INT32",
    "INT64",
    "UINT8",
    "UINT16",
    "UINT32",
    "UINT64",
    "CHARBUF",
    "BYTEBUF",
    "ERRNO",
    "SOCKADDR",
    "SOCKTUPLE",
    "FD",
    "PID",
    "FDLIST",
    "FSPATH",
    "FSRELPATH",
    "SYSCALLID",
    "SIGTYPE",
    "RELTIME",
    "ABSTIME",
    "PORT",
    "L4PROTO",
    "SOCKFAMILY",
    "BOOL",
    "IPV4ADDR",
    "IPV6ADDR",
    "DYN",
    "DYNAMIC",
    "FLAGS8",
    "FLAGS16",
    "FLAGS32",
    "ENUMFLAGS8",
    "ENUMFLAGS16",
    "ENUMFLAGS32",
    "UID",
    "GID",
    "DOUBLE",
    "SIGSET",
    "CHARBUFARRAY",
    "CHARBUF_PAIR_ARRAY",
    "IPV4NET",
    "IPV6NET",
    "IPADDR",
    "IPNET",
    "MODE",
    "FD32",
    "PID32",
];
