//! `--bless`: writes the alerts each failing case raised into its test file as the new
//! `expect`, through `rulec_testing::bless` (which edits the text, keeping comments and layout).
//! A parameterised case is blessed only when all its parameter sets agree.

use rulec_testing::bless::{self, BlessEdit};
use rulec_testing::run::{CaseResult, Status};

use super::files::{Loaded, io_reason};

/// Writes the actual alerts of failing cases into their files; returns (file, template,
/// message) for each case blessed or refused.
pub(super) fn bless_files(
    loaded: &[Loaded],
    jobs: &[(usize, usize)],
    results: &[CaseResult],
) -> Result<Vec<(usize, usize, String)>, String> {
    let mut out = Vec::new();
    for (fi, l) in loaded.iter().enumerate() {
        let Some(suite) = &l.suite else { continue };
        let Some(src) = l.files.first() else { continue };
        let mut edits: Vec<BlessEdit> = Vec::new();
        let mut templates: Vec<usize> =
            jobs.iter().filter(|(f, _)| *f == fi).map(|(_, c)| suite.file.cases[*c].template).collect();
        templates.dedup();
        for t in templates {
            let mine: Vec<(usize, &CaseResult)> = jobs
                .iter()
                .zip(results)
                .filter(|((f, c), _)| *f == fi && suite.file.cases[*c].template == t)
                .map(|((_, c), r)| (*c, r))
                .collect();
            if !mine.iter().any(|(_, r)| r.status == Status::Fail) {
                continue;
            }
            let lists: Vec<Vec<(String, rulec_compiler::items::Priority)>> = mine
                .iter()
                .map(|(_, r)| r.alerts.iter().map(|a| (a.alert.rule.clone(), a.alert.priority)).collect())
                .collect();
            let Some((first_case, _)) = mine.first() else { continue };
            let case = &suite.file.cases[*first_case];
            if lists.windows(2).any(|w| w[0] != w[1]) {
                out.push((
                    fi,
                    t,
                    format!(
                        "not blessed: `{}`: its parameter sets raise different alerts; write their `expect` by hand",
                        case.name
                    ),
                ));
                continue;
            }
            if mine.iter().any(|(_, r)| matches!(r.status, Status::Error(_))) {
                continue;
            }
            edits.push(BlessEdit {
                case_loc: case.loc,
                expect_loc: case.expect_loc,
                alerts: lists.into_iter().next().unwrap_or_default(),
            });
            out.push((fi, t, format!("blessed: {}", case.name)));
        }
        if edits.is_empty() {
            continue;
        }
        let new = bless::apply(&src.text, &edits);
        std::fs::write(&l.path, new).map_err(|e| format!("cannot write {}: {}", l.path.display(), io_reason(&e)))?;
    }
    Ok(out)
}
