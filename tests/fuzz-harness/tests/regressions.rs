//! The kept fuzz inputs run on every `cargo test`: each file of `compiler/fuzz/regressions/<target>/`
//! (inputs that once crashed a target, kept after the fix) and of `compiler/fuzz/seeds/<target>/`
//! goes through the target's function, which panics on a broken invariant.

use std::path::PathBuf;

use rulec_fuzz_harness::TARGETS;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../compiler/fuzz")
}

/// The files of `dir` (none when it does not exist), sorted.
fn inputs(dir: PathBuf) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn kept_inputs_pass_every_target() {
    let mut total = 0;
    for (name, run) in TARGETS {
        let mut n = 0;
        for kind in ["regressions", "seeds"] {
            for path in inputs(fuzz_dir().join(kind).join(name)) {
                let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                eprintln!("{name}: {}", path.display());
                run(&bytes);
                n += 1;
            }
        }
        for (target, file, bytes) in rulec_fuzz_harness::seeds::all() {
            if target == *name {
                eprintln!("{name}: generated {file}");
                run(&bytes);
                n += 1;
            }
        }
        assert!(n > 0, "no seed or regression input for target {name}");
        total += n;
    }
    assert!(total >= TARGETS.len());
}

/// The real captures of ../shared, the scap reader's best seeds (not copied into the repository).
#[test]
fn shared_captures_pass_the_scap_target() {
    let Some(dir) = rulec_test_support::shared("captures") else { return };
    let files = inputs(dir);
    assert!(!files.is_empty());
    for path in files {
        rulec_fuzz_harness::capture::run_scap(&std::fs::read(&path).expect("readable capture"));
    }
}

/// The differential seeds are not all rejected by the checker: they make the engines compare
/// rules, so the target tests something.
#[test]
fn differential_seeds_compare_rules() {
    let rules: usize = inputs(fuzz_dir().join("seeds/interp_vs_jit"))
        .iter()
        .map(|p| rulec_fuzz_harness::differential::compared(&std::fs::read(p).expect("readable seed")))
        .sum();
    assert!(rules >= 3, "the interp_vs_jit seeds compared {rules} rules");
}
