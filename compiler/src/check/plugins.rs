//! `required_plugin_versions` against the plugins rulec's rules can run with.
//!
//! rulec provides one plugin's fields itself: the container plugin's (`container.*`, the
//! `container plugin` class of the field table), at the version [`BUILTIN_PLUGINS`] names. A
//! requirement is met when the plugin or one of its alternatives is provided at a compatible
//! version (same major version, not older), as Falco decides. A requirement rulec cannot meet
//! gets one warning (W0117) that names the plugin and version and says what happens to the
//! rules; an alternative that repeats a name of its requirement is an error (E0210), as Falco
//! refuses it.

use crate::diagnostic::{Code, Diagnostic};
use crate::items::{PluginRequirement, parse_semver};

/// The plugins whose fields rulec provides, with the version those fields correspond to: the
/// container plugin 0.4.0, the version the upstream Falco rules (engine 0.57) require, whose
/// `container.*` fields are the field table's `container plugin` class.
pub const BUILTIN_PLUGINS: &[(&str, (u32, u32, u32))] = &[("container", (0, 4, 0))];

/// Whether `name` at `version` is provided: same major version as the built-in one, not newer.
fn provided(name: &str, version: &str) -> bool {
    let Some(want) = parse_semver(version) else { return false };
    BUILTIN_PLUGINS.iter().any(|(n, have)| *n == name && have.0 == want.0 && *have >= want)
}

/// Checks every requirement. Returns the diagnostics and whether some requirement is unmet
/// (then the rules of plugin sources are not warned about one by one: W0117 said it once).
pub fn check_plugin_requirements(reqs: &[PluginRequirement]) -> (Vec<Diagnostic>, bool) {
    let mut diags = Vec::new();
    let mut unmet = false;
    for req in reqs {
        let mut names = vec![&req.name];
        let mut duplicate = false;
        for (alt, _) in &req.alternatives {
            if let Some(first) = names.iter().find(|n| n.value == alt.value) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidPluginVersions,
                        alt.loc,
                        format!("plugin `{}` is listed twice in one requirement", alt.value),
                    )
                    .with_label(first.loc, "first listed here")
                    .with_hint("an alternative names another plugin that can stand in; remove the repeated one"),
                );
                duplicate = true;
            }
            names.push(alt);
        }
        if duplicate {
            continue;
        }
        let met = provided(&req.name.value, &req.version.value)
            || req.alternatives.iter().any(|(n, v)| provided(&n.value, &v.value));
        if met {
            continue;
        }
        unmet = true;
        let builtin = BUILTIN_PLUGINS.iter().find(|(n, _)| *n == req.name.value);
        let what = match builtin {
            Some((n, (a, b, c))) => format!(
                "this file requires plugin `{n}` version {}, but rulec's built-in `{n}` fields are those of version {a}.{b}.{c}",
                req.version.value
            ),
            None => format!(
                "this file requires plugin `{}` version {}, which rulec does not provide",
                req.name.value, req.version.value
            ),
        };
        let alternatives: Vec<String> =
            req.alternatives.iter().map(|(n, v)| format!("`{}` {}", n.value, v.value)).collect();
        let mut d = Diagnostic::new(
            Code::PluginNotProvided,
            req.name.loc,
            format!(
                "{what}{}; Falco refuses to load it without the plugin; rulec checks the syntax of its rules but cannot run the rules that need the plugin",
                if alternatives.is_empty() { String::new() } else { format!(" (nor {})", alternatives.join(", ")) }
            ),
        );
        d = d.with_hint("rulec runs `syscall` rules with the container plugin's fields built in; run these rules with Falco and the plugin");
        diags.push(d);
    }
    (diags, unmet)
}
