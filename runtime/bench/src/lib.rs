//! Benchmark and differential-test tooling, kept out of the shipped engine: the seeded workload
//! generator ([`workload`]: a realistic mixed syscall stream with its starting world) and the
//! hand-written reference predicate ([`handwritten`]) that `rulec bench` compares the JIT with.

pub mod handwritten;
pub mod workload;

pub use workload::{Generator, SplitMix64};
