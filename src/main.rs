//! Entry point of the `rulec` binary; everything happens in the library (`rulec::main`).

fn main() {
    std::process::exit(rulec::main());
}
