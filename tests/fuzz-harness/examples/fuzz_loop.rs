//! A time-bounded mutation loop over one target, for machines where cargo fuzz cannot build
//! (no nightly, no space for the sanitizer build): `cargo run -p rulec-fuzz-harness --example
//! fuzz_loop -- TARGET SECONDS SEED_DIR...`. It mutates the seeds (byte flips, inserts, cuts,
//! duplicated and spliced runs; no coverage feedback, so it is weaker than libFuzzer), runs the
//! target on each input and, on a panic, writes the input to `crash-TARGET-N` and exits 1.

use std::time::{Duration, Instant};

use rulec_bench::workload::SplitMix64;

fn mutate(rng: &mut SplitMix64, seeds: &[Vec<u8>], input: &mut Vec<u8>) {
    for _ in 0..1 + rng.index(4) {
        let len = input.len();
        match rng.index(6) {
            0 if len > 0 => input[rng.index(len)] ^= 1 << rng.index(8),
            1 if len > 0 => input[rng.index(len)] = rng.next() as u8,
            2 => {
                let at = rng.index(len + 1);
                let n = 1 + rng.index(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                input.splice(at..at, bytes);
            }
            3 if len > 1 => {
                let from = rng.index(len);
                let to = (from + 1 + rng.index(64)).min(len);
                input.drain(from..to);
            }
            4 if len > 1 => {
                let from = rng.index(len);
                let to = (from + 1 + rng.index(64)).min(len);
                let run = input[from..to].to_vec();
                let at = rng.index(len + 1);
                input.splice(at..at, run);
            }
            _ => {
                let other = &seeds[rng.index(seeds.len())];
                if !other.is_empty() {
                    let from = rng.index(other.len());
                    let to = (from + 1 + rng.index(256)).min(other.len());
                    let at = rng.index(len + 1);
                    input.splice(at..at, other[from..to].iter().copied());
                }
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(secs)) = (args.first(), args.get(1).and_then(|s| s.parse::<u64>().ok())) else {
        eprintln!("usage: fuzz_loop TARGET SECONDS SEED_DIR...");
        std::process::exit(2);
    };
    let Some((_, run)) = rulec_fuzz_harness::TARGETS.iter().find(|(n, _)| n == name) else {
        eprintln!("fuzz_loop: no target {name}");
        std::process::exit(2);
    };
    let mut seeds: Vec<Vec<u8>> =
        rulec_fuzz_harness::seeds::all().into_iter().filter(|(t, _, _)| t == name).map(|(_, _, b)| b).collect();
    for dir in &args[2..] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                seeds.push(bytes);
            }
        }
    }
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    let mut rng = SplitMix64(u64::from(std::process::id()));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut execs: u64 = 0;
    let started = Instant::now();
    while Instant::now() < deadline {
        let mut input = seeds[rng.index(seeds.len())].clone();
        mutate(&mut rng, &seeds, &mut input);
        execs += 1;
        if std::panic::catch_unwind(|| run(&input)).is_err() {
            let path = format!("crash-{name}-{execs}");
            let _ = std::fs::write(&path, &input);
            eprintln!("fuzz_loop {name}: crash after {execs} inputs, kept in {path}");
            std::process::exit(1);
        }
    }
    println!("fuzz_loop {name}: {execs} inputs in {:.0} s, no crash", started.elapsed().as_secs_f64());
}
