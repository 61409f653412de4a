//! Table-driven evaluation of every operator, modifier and transformer on every value type,
//! with field arguments, ancestor ("any element") values, list fields and absent values. Each
//! table is one ruleset run through every engine configuration (see `common::check_both`).
//! Field values come from the fake field source: an event parameter named like the field.

use crate::common;

use common::*;
use rulec_runtime::ParamValue;

fn name(v: &str) -> Vec<(&'static str, ParamValue)> {
    vec![("proc.name", s(v))]
}

#[test]
fn string_operators() {
    let b = || name("bash");
    let cases: Vec<Case> = vec![
        ("proc.name = bash", b(), true),
        ("proc.name == bash", b(), true),
        ("proc.name = sh", b(), false),
        ("proc.name = Bash", b(), false),
        ("proc.name != sh", b(), true),
        ("proc.name != bash", b(), false),
        ("proc.name < c", b(), true),
        ("proc.name <= bash", b(), true),
        ("proc.name > bash", b(), false),
        ("proc.name >= b", b(), true),
        ("proc.name contains as", b(), true),
        ("proc.name contains x", b(), false),
        ("proc.name contains \"\"", b(), true),
        ("proc.name icontains AS", b(), true),
        ("proc.name icontains xs", b(), false),
        ("proc.name startswith ba", b(), true),
        ("proc.name startswith as", b(), false),
        ("proc.name endswith sh", b(), true),
        ("proc.name endswith ba", b(), false),
        ("proc.name glob \"b*h\"", b(), true),
        ("proc.name glob \"b?sh\"", b(), true),
        ("proc.name glob \"b?h\"", b(), false),
        ("proc.name glob \"[ab]ash\"", b(), true),
        ("proc.name glob \"[!b]ash\"", b(), false),
        ("proc.name glob \"[^c]ash\"", b(), true),
        ("proc.name glob \"[a-c]a*\"", b(), true),
        ("proc.name glob \"*\"", b(), true),
        ("proc.name glob \"B*\"", b(), false),
        ("proc.name glob \"ba\"", b(), false),
        ("proc.name iglob \"B*\"", b(), true),
        ("proc.name iglob \"[A-B]ASH\"", b(), true),
        ("fd.name glob \"/tmp/*\"", vec![("fd.name", s("/tmp/a/b"))], true),
        ("fd.name glob \"/tmp/\\\\*\"", vec![("fd.name", s("/tmp/*"))], true),
        ("fd.name glob \"/tmp/\\\\*\"", vec![("fd.name", s("/tmp/x"))], false),
        ("proc.name regex \"ba.*\"", b(), true),
        ("proc.name regex as", b(), false),
        ("proc.name regex \".*as.*\"", b(), true),
        ("proc.name regex \"(bash|zsh)\"", b(), true),
        ("proc.name regex \"bas\"", b(), false),
        ("proc.name in (bash, sh)", b(), true),
        ("proc.name in (sh)", b(), false),
        ("proc.name in ()", b(), false),
        ("proc.name intersects (bash)", b(), true),
        ("proc.name intersects (zsh)", b(), false),
        ("proc.name exists", b(), true),
        // `proc.name = proc.pname` compares with the text "proc.pname".
        ("proc.name = proc.pname", vec![("proc.name", s("proc.pname")), ("proc.pname", s("x"))], true),
    ];
    run_table(&cases);
}

#[test]
fn pmatch() {
    let f = |p: &str| vec![("fd.name", s(p))];
    let cases: Vec<Case> = vec![
        ("fd.name pmatch (/tmp/hello)", f("/tmp/hello/x"), true),
        ("fd.name pmatch (/tmp/hello)", f("/tmp/hello"), true),
        ("fd.name pmatch (/tmp/hello)", f("/tmp/hello_x"), false),
        ("fd.name pmatch (/tmp/hell)", f("/tmp/hello/x"), false),
        ("fd.name pmatch (/tmp/hello/)", f("/tmp/hello/x"), true),
        ("fd.name pmatch (/etc, /tmp)", f("/tmp/hello/x"), true),
        ("fd.name pmatch (/etc)", f("/tmp/hello/x"), false),
        ("fd.name pmatch (/)", f("/tmp/hello/x"), true),
        ("fd.name pmatch (\"/tmp/*/x\")", f("/tmp/hello/x"), true),
        ("fd.name pmatch (\"/tmp/h*\")", f("/tmp/hello/x"), true),
        ("fd.name pmatch (\"/tmp/*\")", f("/tmp"), false),
        ("fd.name pmatch (\"/*/x\")", f("/tmp/hello/x"), false),
        ("fd.name pmatch ()", f("/tmp"), false),
    ];
    run_table(&cases);
}

#[test]
fn modifiers() {
    let b = || name("bash");
    let cases: Vec<Case> = vec![
        ("proc.name startswith anyof (ba, zz)", b(), true),
        ("proc.name startswith anyof (zz, yy)", b(), false),
        ("proc.name startswith allof (ba, b)", b(), true),
        ("proc.name startswith allof (ba, zz)", b(), false),
        ("proc.name startswith oneof (ba, b)", b(), false),
        ("proc.name startswith oneof (ba, zz)", b(), true),
        ("proc.name startswith anyof ()", b(), false),
        ("proc.name startswith allof ()", b(), true),
        ("proc.name = anyof (sh, bash)", b(), true),
        ("proc.name = oneof (bash, bash)", b(), false),
        ("proc.name = oneof (bash, sh)", b(), true),
        ("proc.name = allof (bash, bash)", b(), true),
        ("proc.name != anyof (bash)", b(), false),
        ("proc.name != anyof (bash, sh)", b(), true),
        ("proc.name != allof (sh, zsh)", b(), true),
        ("proc.name != oneof (bash, sh)", b(), true),
        ("proc.name contains allof (as, sh)", b(), true),
        ("proc.name contains oneof (as, sh)", b(), false),
        ("proc.name contains oneof (as, xx)", b(), true),
        ("proc.name contains allof (as, as)", b(), true),
        ("proc.name icontains anyof (AS, x)", b(), true),
        ("proc.name icontains allof (AS, BA)", b(), true),
        ("proc.name endswith anyof (sh)", b(), true),
        ("proc.name endswith allof (sh, ash, h)", b(), true),
        ("proc.name endswith allof (sh, ba)", b(), false),
        ("proc.name endswith oneof (sh, zsh)", b(), true),
        ("proc.name glob anyof (\"z*\", \"b*\")", b(), true),
        ("proc.name glob allof (\"*a*\", \"b*\")", b(), true),
        ("proc.name iglob oneof (\"B*\", \"*H\")", b(), false),
        ("proc.name regex allof (\"b.*\", \".*h\")", b(), true),
        ("proc.name regex oneof (\"b.*\", \".*h\")", b(), false),
        ("proc.name regex anyof (\"x\", \"bash|sh\")", b(), true),
        // Absent: false whatever the modifier.
        ("proc.name startswith allof ()", vec![], false),
        ("proc.name != anyof (x)", vec![], false),
    ];
    run_table(&cases);
}

#[test]
fn numbers() {
    let pid = || vec![("proc.pid", int(42))];
    let uid = |u: u64| vec![("user.uid", uint(u))];
    let cases: Vec<Case> = vec![
        ("proc.pid = 42", pid(), true),
        ("proc.pid = 0x2a", pid(), true),
        ("proc.pid != 42", pid(), false),
        ("proc.pid != 41", pid(), true),
        ("proc.pid < 43", pid(), true),
        ("proc.pid < 42", pid(), false),
        ("proc.pid <= 42", pid(), true),
        ("proc.pid > 41", pid(), true),
        ("proc.pid > 42", pid(), false),
        ("proc.pid >= 43", pid(), false),
        ("proc.pid > -1", pid(), true),
        ("proc.pid in (1, 42)", pid(), true),
        ("proc.pid in (1, 2)", pid(), false),
        ("proc.pid intersects (42)", pid(), true),
        ("proc.pid < 0", vec![("proc.pid", int(-5))], true),
        ("user.uid = 0", uid(0), true),
        ("user.uid < 1", uid(0), true),
        ("user.uid in (0, 1000)", uid(1000), true),
        ("user.uid > 4294967294", uid(4_294_967_295), true),
        ("evt.count >= 3", vec![("evt.count", uint(3))], true),
        ("thread.cpu > 0.5", vec![("thread.cpu", ParamValue::Double(0.75))], true),
        ("thread.cpu = 1", vec![("thread.cpu", ParamValue::Double(1.0))], true),
        ("thread.cpu in (1, 2.5)", vec![("thread.cpu", ParamValue::Double(2.5))], true),
        ("thread.cpu < 1", vec![("thread.cpu", ParamValue::Double(f64::NAN))], false),
        ("thread.cpu != 1", vec![("thread.cpu", ParamValue::Double(f64::NAN))], true),
        // Absent numbers.
        ("proc.pid != 1", vec![], false),
        ("not proc.pid = 1", vec![], true),
        ("proc.pid < 1", vec![], false),
    ];
    run_table(&cases);
}

#[test]
fn ports_bools_ips_bytes() {
    let port = |p: u16| vec![("fd.sport", ParamValue::Port(p))];
    let sip = |a: &str| vec![("fd.sip", ip(a))];
    let buf = || vec![("evt.buffer", ParamValue::Bytes(b"\x7fELF\x02\x01hello".to_vec()))];
    let cases: Vec<Case> = vec![
        ("fd.sport = 22", port(22), true),
        ("fd.sport = ssh", port(22), true),
        ("fd.sport = http", port(22), false),
        ("fd.sport in (http, https, ssh)", port(443), true),
        ("fd.sport > 1024", port(8080), true),
        ("fd.sport != 22", port(22), false),
        ("evt.failed = true", vec![("evt.failed", ParamValue::Bool(true))], true),
        ("evt.failed = false", vec![("evt.failed", ParamValue::Bool(true))], false),
        ("evt.failed != false", vec![("evt.failed", ParamValue::Bool(true))], true),
        ("evt.failed in (false)", vec![("evt.failed", ParamValue::Bool(false))], true),
        ("fd.sip = 10.1.2.3", sip("10.1.2.3"), true),
        ("fd.sip = 10.1.2.4", sip("10.1.2.3"), false),
        ("fd.sip = 10.0.0.0/8", sip("10.1.2.3"), true),
        ("fd.sip = 192.168.0.0/16", sip("10.1.2.3"), false),
        ("fd.sip != 10.0.0.0/8", sip("10.1.2.3"), false),
        ("fd.sip != 10.0.0.0/8", sip("11.1.2.3"), true),
        ("fd.sip in (192.168.0.0/16, 10.1.2.3)", sip("10.1.2.3"), true),
        ("fd.sip in (192.168.0.0/16, 172.16.0.0/12)", sip("172.20.0.1"), true),
        ("fd.sip in (192.168.0.0/16, 172.16.0.0/12)", sip("172.32.0.1"), false),
        ("fd.sip = 0.0.0.0/0", sip("1.2.3.4"), true),
        ("fd.sip = ::1", sip("::1"), true),
        ("fd.sip = 2001:db8::/32", sip("2001:db8::5"), true),
        ("fd.sip = 2001:db8::/32", sip("2001:db9::5"), false),
        // An IPv4-mapped IPv6 address is its IPv4 address.
        ("fd.sip = 10.1.2.3", sip("::ffff:10.1.2.3"), true),
        ("fd.sip = 10.0.0.0/8", sip("::ffff:10.1.2.3"), true),
        ("fd.sip = 10.0.0.0/8", sip("::1"), false),
        ("evt.buffer bcontains 454c46", buf(), true),
        ("evt.buffer bcontains 454c47", buf(), false),
        ("evt.buffer bstartswith 7f45", buf(), true),
        ("evt.buffer bstartswith 45", buf(), false),
        ("evt.buffer contains hello", buf(), true),
        ("evt.buffer startswith hello", buf(), false),
        ("evt.buffer endswith hello", buf(), true),
        ("evt.buffer bcontains anyof (0000, 6c6c6f)", buf(), true),
        ("evt.buffer bstartswith allof (7f, 7f45)", buf(), true),
    ];
    run_table(&cases);
}

#[test]
fn list_fields_and_ancestors() {
    let types = |xs: &[&str]| vec![("fd.types", list(xs))];
    let anc = || {
        vec![("proc.aname", list(&["sshd", "systemd"])), ("proc.aname[1]", s("sshd")), ("proc.aname[2]", s("systemd"))]
    };
    let cases: Vec<Case> = vec![
        ("fd.types in (file, ipv4, unix)", types(&["file", "ipv4"]), true),
        ("fd.types in (file)", types(&["file", "ipv4"]), false),
        ("fd.types in (file)", types(&[]), false),
        ("fd.types intersects (ipv4, pipe)", types(&["file", "ipv4"]), true),
        ("fd.types intersects (pipe)", types(&["file", "ipv4"]), false),
        ("fd.types intersects ()", types(&["file"]), false),
        ("fd.types exists", types(&["file"]), true),
        ("fd.types exists", vec![], false),
        ("not fd.types in (file)", vec![], true),
        ("fd.types[3] in (file)", vec![("fd.types[3]", s("file"))], true),
        ("proc.aname = systemd", anc(), true),
        ("proc.aname = bash", anc(), false),
        ("proc.aname != sshd", anc(), true),
        ("proc.aname in (init, sshd)", anc(), true),
        ("proc.aname startswith sys", anc(), true),
        ("proc.aname glob \"*d\"", anc(), true),
        ("proc.aname contains bash", anc(), false),
        ("proc.aname exists", anc(), true),
        ("proc.aname = bash", vec![("proc.aname", list(&[]))], false),
        ("proc.aname != bash", vec![("proc.aname", list(&[]))], false),
        ("proc.aname[2] = systemd", anc(), true),
        ("proc.aname[2] = sshd", anc(), false),
        ("proc.aname[1] = sshd", anc(), true),
        ("proc.aname[3] exists", anc(), false),
        ("not proc.aname[3] = init", anc(), true),
        ("proc.aname[3] != init", anc(), false),
    ];
    run_table(&cases);
}

#[test]
fn field_arguments() {
    let cases: Vec<Case> = vec![
        ("evt.arg.flags contains O_TRUNC", vec![("evt.arg[flags]", s("O_WRONLY|O_TRUNC"))], true),
        ("evt.arg[flags] contains O_TRUNC", vec![("evt.arg[flags]", s("O_WRONLY|O_TRUNC"))], true),
        ("evt.arg.flags contains O_CREAT", vec![("evt.arg[flags]", s("O_WRONLY|O_TRUNC"))], false),
        ("evt.rawarg.res < 0", vec![("evt.rawarg[res]", int(-2))], true),
        ("evt.rawarg.res = -2", vec![("evt.rawarg[res]", int(-2))], true),
        ("evt.rawarg.res >= 0", vec![("evt.rawarg[res]", int(-2))], false),
        ("proc.env[HOME] = /root", vec![("proc.env[HOME]", s("/root"))], true),
        ("proc.env[HOME] exists", vec![("proc.env[PATH]", s("/bin"))], false),
    ];
    run_table(&cases);
}

#[test]
fn transformers() {
    let cases: Vec<Case> = vec![
        ("tolower(proc.name) = bash", name("BaSh"), true),
        ("toupper(proc.name) = BASH", name("BaSh"), true),
        ("tolower(proc.name) = BaSh", name("BaSh"), false),
        ("b64(proc.cmdline) = hello", vec![("proc.cmdline", s("aGVsbG8="))], true),
        ("b64(proc.cmdline) = hello", vec![("proc.cmdline", s("aGVsbG8"))], true),
        ("b64(proc.cmdline) = hi", vec![("proc.cmdline", s("aGk="))], true),
        ("b64(proc.cmdline) exists", vec![("proc.cmdline", s("not base64!"))], false),
        ("not b64(proc.cmdline) = x", vec![("proc.cmdline", s("not base64!"))], true),
        ("basename(fd.name) = x", vec![("fd.name", s("/tmp/hello/x"))], true),
        ("basename(fd.name) = x", vec![("fd.name", s("x"))], true),
        ("basename(fd.name) = \"\"", vec![("fd.name", s("/usr/bin/"))], true),
        ("len(proc.name) = 4", name("bash"), true),
        ("len(proc.name) > 4", name("bash"), false),
        ("len(fd.types) = 2", vec![("fd.types", list(&["file", "ipv4"]))], true),
        ("join(\",\", fd.types) = \"file,ipv4\"", vec![("fd.types", list(&["file", "ipv4"]))], true),
        (
            "concat(proc.name, \"-\", proc.pname) = \"bash-sshd\"",
            vec![("proc.name", s("bash")), ("proc.pname", s("sshd"))],
            true,
        ),
        ("concat(proc.name, \"-\", proc.pname) exists", vec![("proc.name", s("bash"))], false),
        ("getopt(proc.args, \"c:\")[c] = ls", vec![("proc.args", s("-c ls -x"))], true),
        ("getopt(proc.args, \"xc:\")[c] = ls", vec![("proc.args", s("-xc ls"))], true),
        ("getopt(proc.args, \"xc:\")[c] = ls", vec![("proc.args", s("-xcls"))], true),
        ("getopt(proc.args, \"xc:\")[x] exists", vec![("proc.args", s("-xc ls"))], true),
        ("getopt(proc.args, \"xc:\")[x] exists", vec![("proc.args", s("-c ls"))], false),
        ("getopt(proc.args, \"c:\")[c] exists", vec![("proc.args", s("script.sh -c ls"))], false),
        ("getopt(proc.args, \"c:\")[c] = b", vec![("proc.args", s("-c a -c b"))], true),
        ("tolower(proc.name) startswith anyof (ba, zs)", name("BASH"), true),
        ("tolower(proc.name) in (bash, sh)", name("SH"), true),
        ("toupper(tolower(proc.name)) = BASH", name("bAsH"), true),
        ("tolower(proc.name) exists", vec![], false),
    ];
    run_table(&cases);
}

#[test]
fn val_comparisons() {
    let two = |a: &str, b: &str| vec![("proc.name", s(a)), ("proc.pname", s(b))];
    let cases: Vec<Case> = vec![
        ("proc.name = val(proc.pname)", two("bash", "bash"), true),
        ("proc.name = val(proc.pname)", two("bash", "sshd"), false),
        ("proc.name != val(proc.pname)", two("bash", "sshd"), true),
        ("proc.name != val(proc.pname)", vec![("proc.name", s("bash"))], false),
        ("proc.name startswith val(proc.pname)", two("bash", "ba"), true),
        ("proc.name contains val(proc.pname)", two("bash", "as"), true),
        ("proc.name endswith val(proc.pname)", two("bash", "ba"), false),
        ("proc.name glob val(proc.pname)", two("bash", "b*"), true),
        ("proc.pid > val(proc.ppid)", vec![("proc.pid", int(10)), ("proc.ppid", int(1))], true),
        ("proc.pid <= val(proc.ppid)", vec![("proc.pid", int(10)), ("proc.ppid", int(1))], false),
        ("tolower(proc.name) = val(proc.pname)", two("BASH", "bash"), true),
    ];
    run_table(&cases);
}

#[test]
fn absent_values() {
    let cases: Vec<Case> = vec![
        ("proc.name = bash", vec![], false),
        ("proc.name != bash", vec![], false),
        ("not proc.name = bash", vec![], true),
        ("not proc.name != bash", vec![], true),
        ("proc.name exists", vec![], false),
        ("not proc.name exists", vec![], true),
        ("proc.name in (bash)", vec![], false),
        ("not proc.name in (bash)", vec![], true),
        ("proc.name contains a", vec![], false),
        ("proc.name glob \"*\"", vec![], false),
        ("proc.name regex \".*\"", vec![], false),
        ("proc.name pmatch (/)", vec![], false),
        ("proc.name startswith anyof (b)", vec![], false),
        ("proc.name = bash or proc.name != bash", vec![], false),
        ("not (proc.name = bash or proc.name != bash)", vec![], true),
        ("proc.name = bash or not proc.name = bash", vec![], true),
        ("not proc.name = a and not proc.name = b", vec![], true),
        ("proc.name != a and proc.name != b", vec![], false),
    ];
    run_table(&cases);
}

#[test]
fn glob_matcher_edges() {
    use rulec_runtime::eval::Glob;
    let m = |p: &str, s: &str| Glob::new(p.as_bytes(), false).matches(s.as_bytes());
    assert!(m("", ""));
    assert!(!m("", "a"));
    assert!(m("*", ""));
    assert!(m("a*b*c", "axxbyyc"));
    assert!(!m("a*b*c", "axxbyy"));
    assert!(m("*/x", "/a/b/x"), "* crosses /");
    assert!(m("[]]", "]"), "a leading ] is literal");
    assert!(m("[a-]", "-"));
    assert!(m("[", "["), "an unclosed [ is literal");
    assert!(m("a\\", "a\\"), "a trailing backslash is literal");
    assert!(!m("?", ""));
    assert!(Glob::new(b"[A-Z]*", true).matches(b"bash"), "iglob folds classes too");
    // Linear backtracking: no exponential blow-up on many stars.
    let long = "a".repeat(5000);
    assert!(!m("*a*a*a*a*a*a*a*a*b", &long));
}

#[test]
fn getopt_and_b64_edges() {
    use rulec_runtime::eval::{b64_decode, getopt};
    assert_eq!(getopt(&["-c", "ls"], "c:", "c").as_deref(), Some("ls"));
    assert_eq!(getopt(&["-c"], "c:", "c"), None, "missing argument");
    assert_eq!(getopt(&["--", "-c", "x"], "c:", "c"), None, "-- ends options");
    assert_eq!(getopt(&["-z", "-c", "x"], "c:", "c").as_deref(), Some("x"), "unknown options are skipped");
    assert_eq!(getopt(&["-c", "x"], "c:", "cc"), None, "the index is one option letter");
    assert_eq!(getopt(&["-ox"], "o::", "o").as_deref(), Some("x"), "optional argument attached");
    assert_eq!(getopt(&["-o", "x"], "o::", "o").as_deref(), Some(""), "optional argument not taken from the next word");
    assert_eq!(b64_decode(b"aGVsbG8gd29ybGQ=").as_deref(), Some(&b"hello world"[..]));
    assert_eq!(b64_decode(b"").as_deref(), Some(&b""[..]));
    assert_eq!(b64_decode(b"a"), None);
    assert_eq!(b64_decode(b"a==="), None);
    assert_eq!(b64_decode(b"a!bc"), None);
}

#[test]
fn callbacks_are_total() {
    use rulec_compiler::ir::Program;
    use rulec_runtime::State;
    use rulec_runtime::eval::{Compiled, EvalCtx, SlotCache, rulec_eval_check, rulec_slot_num};
    let compiled = Compiled::new(&Program::default());
    let mut cache = SlotCache::new();
    let ev = fev("open", &[]);
    let st = State::new();
    let mut ctx = EvalCtx::new(&compiled, &mut cache, &ev, &st);
    let mut out = 7i64;
    // SAFETY: `ctx` is a live, exclusive context; `out` a valid i64; null pointers are allowed.
    unsafe {
        assert_eq!(rulec_eval_check(&mut ctx, 12345), 0);
        assert_eq!(rulec_slot_num(&mut ctx, 12345, &mut out), 0);
        assert_eq!(rulec_eval_check(std::ptr::null_mut(), 0), 0);
        assert_eq!(rulec_slot_num(&mut ctx, 0, std::ptr::null_mut()), 0);
    }
    assert_eq!(out, 7, "nothing written for an unknown slot");
}

#[test]
fn slot_num_gives_the_64_bits() {
    use rulec_compiler::ir::SlotId;
    use rulec_runtime::State;
    use rulec_runtime::eval::{Compiled, EvalCtx, SlotCache};
    let (_, p) = programs(&checked(&rules_for(&["evt.count = 1 and proc.pid = 1 and proc.name = x"])));
    let compiled = Compiled::with_extractor(&p, fake_extract);
    let slot = |name: &str| {
        let i = p.slots.iter().position(|s| rulec_compiler::ir::text::SlotText(s).to_string() == name);
        SlotId(i.expect("slot") as u32)
    };
    let mut cache = SlotCache::new();
    let ev = fev("open", &[("evt.count", uint(u64::MAX)), ("proc.pid", int(-5)), ("proc.name", s("x"))]);
    let st = State::new();
    let mut ctx = EvalCtx::new(&compiled, &mut cache, &ev, &st);
    assert_eq!(ctx.slot_num(slot("evt.count")), Some(-1), "unsigned: the u64 bits");
    assert_eq!(ctx.slot_num(slot("proc.pid")), Some(-5));
    assert_eq!(ctx.slot_num(slot("proc.name")), None, "not an integer");
}
