//! [`Chunks`]: a bounded distance ahead of its reader, its thread gone when the reader drops it,
//! a panic in that thread not taken for the end. (That it gives the stream's bytes and errors
//! as direct reading does is tested through the scap reader's input, `scap/input.rs`.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::*;

/// An endless source that counts the bytes read from it and says when it is dropped.
struct Counted {
    read: Arc<AtomicUsize>,
    dropped: Arc<AtomicBool>,
}

impl Read for Counted {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let k = out.len().min(64 << 10);
        out[..k].fill(7);
        self.read.fetch_add(k, Ordering::SeqCst);
        Ok(k)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// Waits (at most 3 s) until `n` stops changing for 100 ms; returns its value.
fn settled(n: &AtomicUsize) -> usize {
    let start = Instant::now();
    let mut last = n.load(Ordering::SeqCst);
    while start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(100));
        let now = n.load(Ordering::SeqCst);
        if now == last {
            break;
        }
        last = now;
    }
    last
}

#[test]
fn reads_a_bounded_distance_ahead_and_stops_when_dropped() {
    let (read, dropped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    let mut chunks =
        Chunks::start(Box::new(Counted { read: Arc::clone(&read), dropped: Arc::clone(&dropped) })).expect("thread");
    let first = chunks.next().expect("reads").expect("a chunk").bytes;
    assert_eq!(first.len(), HEAD + CHUNK);
    assert!(first[HEAD..].iter().all(|&b| b == 7));
    // Held by the reader, waiting in the channel, being filled (blocked on the full channel).
    let most = (CHUNKS_AHEAD + 2) * CHUNK;
    let n = settled(&read);
    assert!(n > CHUNK && n <= most, "{n} bytes read ahead (most {most})");
    // Giving chunks back lets the thread read on, still bounded.
    chunks.recycle(Chunk { bytes: first, marks: Vec::new() });
    let second = chunks.next().expect("reads").expect("a chunk").bytes;
    let n2 = settled(&read);
    assert!(n2 > n && n2 <= most + CHUNK, "{n2} bytes read ahead after one chunk more");
    drop(second);
    drop(chunks);
    let start = Instant::now();
    while !dropped.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(dropped.load(Ordering::SeqCst), "the reading thread ended and dropped its source");
}

#[test]
fn the_end_and_errors_come_after_the_bytes_and_stay() {
    let mut chunks = Chunks::start(Box::new(io::Cursor::new(vec![1u8; CHUNK + 10]))).expect("thread");
    assert_eq!(chunks.next().unwrap().map(|c| c.bytes.len() - HEAD), Some(CHUNK));
    assert_eq!(chunks.next().unwrap().map(|c| c.bytes.len() - HEAD), Some(10));
    for _ in 0..3 {
        assert!(chunks.next().unwrap().is_none());
    }
    let failing = io::Cursor::new(vec![2u8; 10]).chain(Failing);
    let mut chunks = Chunks::start(Box::new(failing)).expect("thread");
    assert_eq!(chunks.next().unwrap().map(|c| c.bytes.len() - HEAD), Some(10));
    assert_eq!(chunks.next().map_err(|e| e.to_string()).err().as_deref(), Some("disk on fire"));
    assert!(chunks.next().unwrap().is_none());
}

struct Failing;

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::other("disk on fire"))
    }
}

struct Panics;

impl Read for Panics {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        panic!("reader bug");
    }
}

#[test]
fn a_panic_in_the_reading_thread_is_not_taken_for_the_end() {
    let mut chunks = Chunks::start(Box::new(Panics)).expect("thread");
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| chunks.next().is_ok()));
    let msg = got.expect_err("the panic is the reading thread's");
    assert_eq!(msg.downcast_ref::<&str>(), Some(&"reader bug"));
}
