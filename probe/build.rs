//! Compiles the eBPF programs with clang: `bpf/probe.bpf.c` into `$OUT_DIR/probe.bpf.o` and the
//! cost floor `bpf/floor.bpf.c` (programs that return at once) into `$OUT_DIR/floor.bpf.o`, which
//! `src/object.rs` embeds. `-g` is required: aya needs the object's BTF for its maps and for the
//! CO-RE relocations it resolves against the running kernel at load time.
//!
//! `RULEC_CLANG` names the compiler (default `clang`). Without clang or libbpf's headers the
//! build stops with what to install, never a bare compiler error.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let src = PathBuf::from("bpf");
    for f in [
        "probe.bpf.c",
        "floor.bpf.c",
        "kernel_types.h",
        "scap_gen.h",
        "builder.h",
        "net.h",
        "paths.h",
        "syscalls.h",
        "admin.h",
        "io.h",
    ] {
        println!("cargo:rerun-if-changed=bpf/{f}");
    }
    println!("cargo:rerun-if-env-changed=RULEC_CLANG");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let clang = std::env::var("RULEC_CLANG").unwrap_or_else(|_| "clang".to_string());
    let arch = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok(other) => {
            println!("cargo:warning=the eBPF probe supports x86_64 only; building it for x86 registers on {other}");
            "x86"
        }
        Err(_) => "x86",
    };
    for name in ["probe", "floor"] {
        compile(&clang, arch, &src, name, &out_dir.join(format!("{name}.bpf.o")));
    }
}

/// Compiles `bpf/NAME.bpf.c` into `out`, or stops the build saying what to install.
fn compile(clang: &str, arch: &str, src: &std::path::Path, name: &str, out: &std::path::Path) {
    let status = Command::new(clang)
        .args(["-g", "-O2", "-target", "bpf", "-Wall", "-Werror"])
        .arg(format!("-D__TARGET_ARCH_{arch}"))
        .arg("-I")
        .arg(src)
        .arg("-c")
        .arg(src.join(format!("{name}.bpf.c")))
        .arg("-o")
        .arg(out)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "compiling the eBPF probe (probe/bpf/{name}.bpf.c) with {clang} failed ({s}): see clang's \
             messages above (a missing <bpf/bpf_helpers.h> means libbpf's headers are not installed: \
             `apt-get install -y clang llvm libbpf-dev`)"
        ),
        Err(e) => panic!(
            "cannot run `{clang}` to build the eBPF probe ({e}); install clang and libbpf's headers: \
             `apt-get install -y clang llvm libbpf-dev` (or set RULEC_CLANG to a clang binary)"
        ),
    }
}
