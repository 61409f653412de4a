//! cargo fuzz target `interp_vs_jit`: its body is `rulec_fuzz_harness::differential::run` (see that crate for what it
//! checks), shared with the regression tests that `cargo test` runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| rulec_fuzz_harness::differential::run(data));
