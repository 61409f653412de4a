//! Merging across files: replace in place, append, override, enable toggles, exceptions.
#![allow(clippy::unwrap_used)] // test inputs are fixed

use rulec_compiler::load::{Loaded, load};
use rulec_compiler::{Diagnostic, FileId, Location, SourceFile};
use rulec_grammar::Span;

fn load_all(inputs: &[&str]) -> (Vec<SourceFile>, Loaded, Vec<Diagnostic>) {
    let fs: Vec<SourceFile> =
        inputs.iter().enumerate().map(|(i, t)| SourceFile::new(FileId(i as u32), format!("f{i}.yaml"), *t)).collect();
    let (l, d) = load(&fs);
    (fs, l, d)
}

fn text_at(fs: &[SourceFile], loc: Location) -> &str {
    &fs[loc.file.0 as usize].text[loc.start as usize..loc.end as usize]
}

const BASE: &str = "\
- list: shells
  items: [bash, sh]
- list: editors
  items: [vi]
- macro: spawned
  condition: evt.type = execve
- macro: shell
  condition: proc.name in (shells)
- rule: Shell spawned
  desc: a shell
  condition: spawned and shell
  output: shell (%proc.name)
  priority: WARNING
  tags: [process]
- rule: Second
  desc: second
  condition: spawned
  output: second
  priority: INFO
";

#[test]
fn redefinition_replaces_in_place() {
    let (fs, l, d) =
        load_all(&[BASE, "- list: shells\n  items: [zsh]\n- macro: spawned\n  condition: evt.type = clone\n"]);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(l.lists.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["shells", "editors"]);
    assert_eq!(l.lists[0].items.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["zsh"]);
    assert_eq!(l.lists[0].defined_in, FileId(1));
    assert_eq!(text_at(&fs, l.lists[0].items[0].1), "zsh");
    assert_eq!(l.macros[0].name, "spawned");
    assert_eq!(l.macros[0].condition.as_str(), "evt.type = clone");
    assert_eq!(l.macros[0].defined_in, FileId(1));
}

#[test]
fn append_across_files_maps_each_part() {
    let second = "\
- macro: shell
  condition: or proc.name = fish
  override:
    condition: append
- list: shells
  items: [zsh]
  override:
    items: append
- rule: Shell spawned
  condition: and not proc.pname = sshd
  output: (user=%user.name)
  tags: [shell, process]
  override:
    condition: append
    output: append
    tags: append
";
    let (fs, l, d) = load_all(&[BASE, second]);
    assert!(d.is_empty(), "{d:?}");
    let m = &l.macros[1];
    assert_eq!(m.condition.as_str(), "proc.name in (shells) or proc.name = fish");
    assert_eq!(m.defined_in, FileId(0));
    assert_eq!(m.updated_by.len(), 1);
    // A span in the appended part lands in the second file.
    let at = m.condition.as_str().find("fish").unwrap();
    let loc = m.condition.location(Span::new(at, at + 4));
    assert_eq!(loc.file, FileId(1));
    assert_eq!(text_at(&fs, loc), "fish");
    // And one in the first part in the first file.
    let loc = m.condition.location(Span::new(0, 9));
    assert_eq!((loc.file, text_at(&fs, loc)), (FileId(0), "proc.name"));
    assert_eq!(l.lists[0].items.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["bash", "sh", "zsh"]);
    let r = &l.rules[0];
    assert_eq!(r.condition.as_str(), "spawned and shell and not proc.pname = sshd");
    assert_eq!(r.output.as_str(), "shell (%proc.name) (user=%user.name)");
    assert_eq!(r.tags.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["process", "shell"]);
    let at = r.output.as_str().find("%user").unwrap();
    assert_eq!(text_at(&fs, r.output.location(Span::new(at, at + 10))), "%user.name");
}

#[test]
fn override_replace_and_enable_toggle() {
    let second = "\
- rule: Shell spawned
  priority: debug
  enabled: false
  override:
    priority: replace
    enabled: replace
- rule: Second
  condition: evt.type = open
  override:
    condition: replace
- macro: spawned
  condition: evt.type = fork
  override:
    condition: replace
";
    let (fs, l, d) = load_all(&[BASE, second]);
    assert!(d.is_empty(), "{d:?}");
    let r = &l.rules[0];
    assert_eq!(r.priority, rulec_compiler::items::Priority::Debug);
    assert!(!r.enabled);
    assert_eq!(text_at(&fs, r.enabled_loc.unwrap()), "false");
    assert_eq!(l.rules[1].condition.as_str(), "evt.type = open");
    assert_eq!(l.rules[1].condition.file(), FileId(1));
    assert_eq!(l.macros[0].condition.as_str(), "evt.type = fork");

    // The deprecated enabled-only form still toggles (with a deprecation warning).
    let (_, l, d) = load_all(&[BASE, "- rule: Second\n  enabled: false\n"]);
    assert!(!l.rules[1].enabled);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, rulec_compiler::Code::Deprecated);
}

#[test]
fn legacy_append() {
    let (_, l, d) = load_all(&[
        BASE,
        "- macro: shell\n  condition: or proc.name = ksh\n  append: true\n- rule: Second\n  condition: and proc.name = x\n  append: true\n",
    ]);
    assert!(d.iter().all(|d| d.code == rulec_compiler::Code::Deprecated), "{d:?}");
    assert_eq!(d.len(), 2);
    assert_eq!(l.macros[1].condition.as_str(), "proc.name in (shells) or proc.name = ksh");
    assert_eq!(l.rules[1].condition.as_str(), "spawned and proc.name = x");
}

#[test]
fn exceptions_merge_by_name() {
    let first = "\
- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: known
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [bash, /etc]
    - name: dirs
      fields: fd.name
      comps: pmatch
      values: [/tmp, /var]
";
    let second = "\
- rule: r
  exceptions:
    - name: known
      values:
        - [zsh, /usr]
    - name: extra
      fields: [proc.pname]
      values: [[init]]
  override:
    exceptions: append
";
    let (fs, l, d) = load_all(&[first, second]);
    assert!(d.is_empty(), "{d:?}");
    let ex = &l.rules[0].exceptions;
    assert_eq!(ex.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["known", "dirs", "extra"]);
    assert_eq!(ex[0].values.len(), 2);
    assert_eq!(ex[0].comps.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["=", "startswith"]);
    let zsh = &ex[0].values[1][0];
    assert_eq!(zsh.loc().file, FileId(1));
    assert_eq!(text_at(&fs, zsh.loc()), "zsh");
    assert!(ex[1].single);
    assert_eq!(ex[1].values.len(), 1);
    // Default operator for a list of fields is `=`, located at the field.
    assert_eq!(ex[2].comps[0].0, "=");
    assert_eq!(text_at(&fs, ex[2].comps[0].1), "proc.pname");
}

#[test]
fn block_condition_positions() {
    let src = "- macro: m\n  condition: >\n    evt.type in (open, openat)\n    and fd.name startswith /etc\n";
    let (fs, l, d) = load_all(&[src]);
    assert!(d.is_empty());
    let c = &l.macros[0].condition;
    let at = c.as_str().find("fd.name").unwrap();
    let loc = c.location(Span::new(at, at + 7));
    let lc = fs[0].line_col(loc.start as usize);
    assert_eq!((lc.line, lc.col), (4, 9));
}
