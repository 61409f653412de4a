//! Compiles the eBPF programs (`bpf/probe.bpf.c`) with clang into `$OUT_DIR/probe.bpf.o`, which
//! `src/object.rs` embeds. `-g` is required: aya needs the object's BTF for its maps and for the
//! CO-RE relocations it resolves against the running kernel at load time.
//!
//! `RULEC_CLANG` names the compiler (default `clang`). Without clang or libbpf's headers the
//! build stops with what to install, never a bare compiler error.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = PathBuf::from("bpf");
    for f in ["probe.bpf.c", "kernel_types.h", "scap_gen.h", "builder.h", "net.h", "syscalls.h"] {
        println!("cargo:rerun-if-changed=bpf/{f}");
    }
    println!("cargo:rerun-if-env-changed=RULEC_CLANG");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("probe.bpf.o");
    let clang = std::env::var("RULEC_CLANG").unwrap_or_else(|_| "clang".to_string());
    let arch = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok(other) => {
            println!("cargo:warning=the eBPF probe supports x86_64 only; building it for x86 registers on {other}");
            "x86"
        }
        Err(_) => "x86",
    };
    let status = Command::new(&clang)
        .args(["-g", "-O2", "-target", "bpf", "-Wall", "-Werror"])
        .arg(format!("-D__TARGET_ARCH_{arch}"))
        .arg("-I")
        .arg(&src)
        .arg("-c")
        .arg(src.join("probe.bpf.c"))
        .arg("-o")
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "compiling the eBPF probe (probe/bpf/probe.bpf.c) with {clang} failed ({s}): see clang's \
             messages above (a missing <bpf/bpf_helpers.h> means libbpf's headers are not installed: \
             `apt-get install -y clang llvm libbpf-dev`)"
        ),
        Err(e) => panic!(
            "cannot run `{clang}` to build the eBPF probe ({e}); install clang and libbpf's headers: \
             `apt-get install -y clang llvm libbpf-dev` (or set RULEC_CLANG to a clang binary)"
        ),
    }
}
