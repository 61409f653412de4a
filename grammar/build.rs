//! Generates the condition parser from `src/condition.lalrpop` at build time.

fn main() {
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process()
        .expect("the LALRPOP grammar must compile");
}
