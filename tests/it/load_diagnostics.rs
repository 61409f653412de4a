//! Snapshot tests of every diagnostic the loader reports: the YAML input and the diagnostics
//! with line:col, side by side, in the compact form of the one renderer
//! (`rulec::render::Renderer::compact`).
#![allow(clippy::unwrap_used)] // test inputs are fixed

use rulec::render::Renderer;
use rulec_compiler::load::load;
use rulec_compiler::{Diagnostic, FileId, SourceFile};

fn files(inputs: &[&str]) -> Vec<SourceFile> {
    inputs.iter().enumerate().map(|(i, t)| SourceFile::new(FileId(i as u32), format!("f{i}.yaml"), *t)).collect()
}

fn render(files: &[SourceFile], diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("--- {}\n{}", f.name, f.text));
        if !f.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str("=== diagnostics\n");
    let renderer = Renderer::new(files);
    for d in diags {
        out.push_str(&renderer.compact(d));
    }
    out
}

fn check(inputs: &[&str]) -> String {
    let fs = files(inputs);
    let (_, diags) = load(&fs);
    render(&fs, &diags)
}

macro_rules! snap {
    ($name:ident, $($input:expr),+) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), check(&[$($input),+]));
        }
    };
}

snap!(yaml_syntax, "- rule: a\n  condition: \"evt.type = open\n- macro: b\n");
snap!(yaml_syntax_bad_indent, "- macro: a\n  condition: x\n - macro: b\n");
snap!(bad_file_shape, "rule: a\ncondition: x\n");
snap!(bad_item_shape, "- just a string\n- [1, 2]\n");
snap!(unknown_item, "- something: x\n  other: y\n");
snap!(unknown_key, "- macro: m\n  condition: evt.type = open\n  conditon: x\n  desc: d\n");
snap!(duplicate_key, "- macro: m\n  condition: evt.type = open\n  condition: evt.type = close\n");
snap!(missing_key, "- rule: r\n  condition: evt.type = open\n  desc: d\n- macro: m\n- list: l\n- rule: only_name\n");
snap!(
    bad_value_type,
    "- rule: r\n  condition: {a: b}\n  output: o\n  desc: d\n  priority: INFO\n  enabled: maybe\n  tags: [a, [b]]\n- list: l\n  items: x\n- macro: [m]\n  condition: x\n"
);
snap!(invalid_priority, "- rule: r\n  condition: evt.type = open\n  output: o\n  desc: d\n  priority: SEVERE\n");
snap!(
    invalid_names,
    "- macro: my-macro\n  condition: evt.type = open\n- macro: _m\n  condition: x\n- list: \"a list\"\n  items: []\n- list: ok-list.v2/x\n  items: []\n"
);
snap!(
    invalid_override,
    "- macro: m\n  condition: a\n- macro: m\n  condition: b\n  override:\n    condition: prepend\n- list: l\n  items: [a]\n  override:\n    items: append\n    other: replace\n- rule: r\n  condition: c\n  output: o\n  desc: d\n  priority: INFO\n- rule: r\n  condition: and x\n  priority: DEBUG\n  override:\n    condition: append\n    enabled: replace\n- rule: r\n  priority: DEBUG\n  override:\n    priority: append\n"
);
snap!(
    append_and_override,
    "- macro: m\n  condition: a\n- macro: m\n  condition: b\n  append: true\n  override:\n    condition: append\n"
);
snap!(
    undefined_append_target,
    "- macro: m\n  condition: or x\n  override:\n    condition: append\n- list: l\n  items: [a]\n  append: true\n- rule: r\n  condition: and y\n  override:\n    condition: append\n- rule: r2\n  enabled: false\n"
);
snap!(
    deprecated,
    "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n- rule: r\n  condition: evt.type = open\n  output: o\n  desc: d\n  priority: INFO\n- rule: r\n  enabled: false\n- rule: r\n  condition: and proc.name = x\n  output: ignored\n  append: true\n"
);
snap!(
    engine_version,
    "- required_engine_version: 0.99.0\n- required_engine_version: 1.2\n- required_engine_version: 70\n- required_engine_version: 0.57.0\n- required_engine_version: 12\n"
);
snap!(
    plugin_versions,
    "- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n    - name: k8saudit\n    - version: 1.0.0\n    - name: json\n      version: latest\n    - name: x\n      version: 1.0.0\n      alternatives: nope\n- required_plugin_versions: container\n"
);
snap!(
    exceptions,
    "- rule: r\n  condition: evt.type = open\n  output: o\n  desc: d\n  priority: INFO\n  exceptions:\n    - name: ok_tuple\n      fields: [proc.name, fd.name]\n      comps: [=, startswith]\n      values:\n        - [bash, /etc]\n    - name: ok_single\n      fields: proc.name\n      comps: pmatch\n      values: [a, b]\n    - name: ok_tuple\n      fields: [proc.name]\n      values: [[x]]\n    - name: bad_len\n      fields: [proc.name, fd.name]\n      comps: [=]\n    - name: bad_row\n      fields: [proc.name, fd.name]\n      values:\n        - [bash]\n    - name: bad_single_op\n      fields: proc.name\n      comps: startswith\n      values: [a]\n    - name: bad_op\n      fields: [proc.name]\n      comps: [like]\n    - fields: [proc.name]\n    - name: no_fields\n      values: [[a]]\n    - name: bad_value\n      fields: [proc.name]\n      values: [{a: b}]\n"
);
snap!(
    empty_append,
    "- rule: r\n  condition: evt.type = open\n  output: o\n  desc: d\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[a]]\n- rule: r\n  exceptions:\n    - name: e\n  override:\n    exceptions: append\n- list: l\n  items: [a]\n- list: l\n  items: []\n  override:\n    items: append\n"
);
snap!(
    condition_positions_survive_errors,
    "- macro: ok\n  condition: >\n    evt.type = open\n- macro: \"bad name\"\n  condition: x\n"
);

#[test]
fn resource_limit() {
    let deep = format!("- macro: m\n  condition: {}x{}\n", "[".repeat(70), "]".repeat(70));
    // "Billion laughs": each level repeats the previous one ten times.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    insta::assert_snapshot!("resource_limit", format!("{}\n{}", check(&[&deep]), check(&[&bomb])));
}
