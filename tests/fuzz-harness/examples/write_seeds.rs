//! Writes the generated seeds (`rulec_fuzz_harness::seeds`) into `DIR/<target>/` before a fuzz
//! run: `cargo run -p rulec-fuzz-harness --example write_seeds -- compiler/fuzz/corpus`.

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: write_seeds DIR");
        std::process::exit(2);
    };
    for (target, name, bytes) in rulec_fuzz_harness::seeds::all() {
        let folder = std::path::Path::new(&dir).join(target);
        let path = folder.join(name);
        if let Err(e) = std::fs::create_dir_all(&folder).and_then(|()| std::fs::write(&path, bytes)) {
            eprintln!("write_seeds: {}: {e}", path.display());
            std::process::exit(1);
        }
        println!("{}", path.display());
    }
}
