//! Prints a capture's metadata summary and events (`cargo run -p rulec-runtime --example scapdump
//! -- FILE [NAME,NAME...] [MAX]`), replaying them through the state machine: each event line
//! shows the fd it refers to as the state resolves it.

use rulec_runtime::replay::Replay;
use rulec_runtime::state::{Limits, State};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: scapdump FILE [NAME,...] [MAX]");
        std::process::exit(2);
    };
    let names: Vec<String> = args.next().map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default();
    let max: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
    let mut rp = match Replay::open(&path, Limits::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let r = rp.reader();
    println!(
        "{path}: v{}.{} machine={:?} procs={} fds={} ifaces={} users={} groups={}",
        r.header.major,
        r.header.minor,
        r.machine.as_ref().map(|m| m.hostname.as_str()),
        r.procs.len(),
        r.fds.len(),
        r.interfaces.len(),
        r.users.len(),
        r.groups.len()
    );
    let mut shown = 0;
    let mut n = 0u64;
    while let Some(ev) = rp.next() {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        n += 1;
        if shown < max && (names.is_empty() || names.iter().any(|x| x == ev.name)) {
            shown += 1;
            let st = rp.state();
            let fd = st.event_fd_info(&ev).map(|f| format!(" [fd {}<{}>{}]", f.fd, f.kind.type_char(), f.name));
            let comm = st.thread(ev.tid).map_or("?", |t| t.comm.as_str());
            println!(
                "{} {} {}({}) {} {}({}): {}{}",
                ev.ts,
                ev.tid,
                comm,
                ev.cpu,
                ev.dir.as_str(),
                ev.name,
                ev.type_id,
                ev.args_str(),
                fd.unwrap_or_default()
            );
        }
    }
    let stats = rp.reader().stats();
    let st: State = rp.into_state();
    println!("events={n} reader={stats:?} state={:?} threads={}", st.stats(), st.thread_count());
}
