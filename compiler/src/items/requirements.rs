//! `required_engine_version` and `required_plugin_versions`: their shapes and version strings.

use super::reader::{Reader, at};
use super::*;
use crate::yaml::Node;

impl Reader<'_> {
    pub(super) fn engine_version(&mut self, item: &Node, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, &["required_engine_version"], "required_engine_version item");
        let Some(s) = v.as_scalar().filter(|s| !s.value.is_empty()) else {
            self.bad_type(k, v, "required_engine_version", "a version (`0.57.0`, or a number N meaning 0.N.0)");
            return None;
        };
        let text = s.value.trim();
        let version = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse::<u32>().ok().map(|n| (0, n, 0))
        } else {
            parse_semver(text)
        };
        let Some(version) = version else {
            self.err(
                Code::EngineVersion,
                v.loc,
                format!("`{text}` is not an engine version: write `x.y.z`, or a number N meaning 0.N.0"),
            );
            return None;
        };
        if version > ENGINE_VERSION {
            let (a, b, c) = ENGINE_VERSION;
            self.diags.push(
                Diagnostic::new(
                    Code::EngineVersion,
                    v.loc,
                    format!(
                        "this file requires engine version {}.{}.{}, newer than the engine rulec implements ({a}.{b}.{c})",
                        version.0, version.1, version.2
                    ),
                )
                .with_hint("the file uses features rulec does not know yet"),
            );
        }
        Some(Item::RequiredEngineVersion(EngineVersionItem {
            version: Located { value: version, loc: v.loc },
            loc: item.loc,
        }))
    }

    pub(super) fn plugin_versions(&mut self, map: &[(Node, Node)], k: &Node, v: &Node) -> Option<Item> {
        self.check_keys(map, &["required_plugin_versions"], "required_plugin_versions item");
        let Some(seq) = v.as_seq() else {
            self.err(
                Code::InvalidPluginVersions,
                at(k, v),
                format!(
                    "`required_plugin_versions` must be a sequence of `{{name, version}}` maps, but it is {}",
                    v.describe()
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for entry in seq {
            let Some((name, version)) = self.plugin_entry(entry, "required_plugin_versions entry") else {
                continue;
            };
            let mut alternatives = Vec::new();
            if let Some((ak, av)) = entry.get("alternatives") {
                match av.as_seq() {
                    Some(alts) => {
                        for alt in alts {
                            if let Some(pair) = self.plugin_entry(alt, "plugin alternative") {
                                alternatives.push(pair);
                            }
                        }
                    }
                    None => self.err(
                        Code::InvalidPluginVersions,
                        at(ak, av),
                        format!(
                            "`alternatives` must be a sequence of `{{name, version}}` maps, but it is {}",
                            av.describe()
                        ),
                    ),
                }
            }
            out.push(PluginRequirement { name, version, alternatives, loc: entry.loc });
        }
        Some(Item::RequiredPluginVersions(out))
    }

    pub(super) fn plugin_entry(&mut self, entry: &Node, what: &str) -> Option<(Located<String>, Located<String>)> {
        let Some(map) = entry.as_map() else {
            self.err(
                Code::InvalidPluginVersions,
                entry.loc,
                format!("a {what} must be a map with `name` and `version`"),
            );
            return None;
        };
        self.check_keys(map, if what.contains("alternative") { &["name", "version"] } else { PLUGIN_KEYS }, what);
        let mut get = |key: &str| -> Option<Located<String>> {
            match entry.get(key) {
                Some((_, v)) => match v.as_scalar().filter(|s| !s.value.is_empty()) {
                    Some(s) => Some(Located { value: s.value.clone(), loc: v.loc }),
                    None => {
                        self.err(
                            Code::InvalidPluginVersions,
                            v.loc,
                            format!("`{key}` of a {what} must be a non-empty string"),
                        );
                        None
                    }
                },
                None => {
                    self.err(Code::InvalidPluginVersions, entry.loc, format!("a {what} needs `{key}`"));
                    None
                }
            }
        };
        let name = get("name");
        let version = get("version");
        let (name, version) = (name?, version?);
        if parse_semver(&version.value).is_none() {
            self.err(
                Code::InvalidPluginVersions,
                version.loc,
                format!("`{}` is not a version: write `x.y.z`", version.value),
            );
            return None;
        }
        Some((name, version))
    }
}
