//! Reading a capture's bytes ahead on a second thread ([`Chunks`]): the file reads (the
//! kernel's copy out of the page cache) and gzip decompression run on that thread while the
//! event loop (framing and decoding records, the state machine, the rules) runs on the
//! caller's.
//!
//! The thread fills chunks of [`CHUNK`] bytes and hands them over a channel of at most
//! [`CHUNKS_AHEAD`]; the reader takes each chunk as its buffer (no copy: each chunk keeps
//! [`HEAD`] bytes free at its start, where the reader puts the unread end of the previous one,
//! a record cut at the chunk boundary) and gives the one it is done with back to be refilled.
//! Memory is a handful of chunks whatever the capture's size.
//!
//! The thread can also look through each chunk for its reader ([`Index`]): a `.scap`'s thread
//! walks the blocks and marks those the loop may decode without checking them again
//! ([`crate::capture::scap`]'s framing), so that work moves off the loop's CPU with the
//! bytes, and nothing else crosses.
//!
//! Two ways of moving more work to that thread were measured and dropped (`rulec run --replay`
//! of 7.09 M events with `falco_rules.yaml` on the 2-CPU test machine, quiet): handing over
//! decoded events (a batch of events per handover) moved every event's scattered buffers
//! between the two CPUs' caches and took 0.72 s, against 0.47 s on one thread; decoding on
//! that thread and handing over the records packed (fixed heads, ranges and bytes, each one
//! contiguous vector, unpacked into the loop's own event) took 0.44 – 0.46 s, the decoding
//! thread now the slower half; chunks of bytes: 0.37 – 0.39 s. Chunks with the framing
//! checks done on the thread ([`Index`]; the loop's thread 912 -> 764 instructions per event):
//! 0.32 – 0.33 s against 0.36 for chunks alone in the same rounds.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes read into one chunk.
pub const CHUNK: usize = 1 << 20;

/// Bytes kept free at the start of each chunk for the unread end of the previous one.
pub const HEAD: usize = 64 << 10;

/// Most filled chunks waiting for the reader.
pub const CHUNKS_AHEAD: usize = 2;

/// Whether reading ahead can pay on this machine: there is a second CPU to read on (on one,
/// the two threads would only take turns). `rulec run --replay` and `rulec bench --capture`
/// read ahead when it does.
pub fn pays() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// What the reading thread works out about each chunk for the reader, as it reads them.
pub(crate) trait Index: Send {
    /// Called with each chunk's new bytes in stream order (`data`, which start at position
    /// `first` of the chunk's buffer): appends to `marks`, in increasing order of position,
    /// the buffer positions the reader is told about.
    fn index(&mut self, data: &[u8], first: usize, marks: &mut Vec<Mark>);
}

/// A position an [`Index`] marked in a chunk's buffer, with a word it notes there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The position in the buffer.
    pub at: u32,
    /// What the index says of it.
    pub note: u32,
}

/// A chunk: its buffer (the stream's next bytes from [`HEAD`] on) and the positions its
/// [`Index`] marked in it (none without one).
#[derive(Default)]
pub(crate) struct Chunk {
    /// The buffer.
    pub bytes: Vec<u8>,
    /// Marked positions in `bytes`, increasing.
    pub marks: Vec<Mark>,
}

/// What the reading thread hands over.
enum Msg {
    /// A chunk whose bytes `HEAD..` are the stream's next.
    Data(Chunk),
    /// The stream ended.
    End,
    /// Reading failed (after the bytes handed over before).
    Failed(io::Error),
}

/// A byte stream read by a thread of its own, chunk by chunk (see the module doc).
pub(crate) struct Chunks {
    filled: Receiver<Msg>,
    empty: SyncSender<Chunk>,
    /// Set once the end or an error has been handed out: later calls say the end.
    done: bool,
    thread: Option<JoinHandle<()>>,
}

impl Chunks {
    /// Starts reading `src` on a new thread.
    #[cfg(test)]
    pub(crate) fn start(src: Box<dyn Read + Send>) -> io::Result<Chunks> {
        Chunks::start_indexed(src, None)
    }

    /// Starts reading `src` on a new thread, which passes each chunk through `index` if given.
    pub(crate) fn start_indexed(src: Box<dyn Read + Send>, index: Option<Box<dyn Index>>) -> io::Result<Chunks> {
        let (filled_tx, filled) = sync_channel::<Msg>(CHUNKS_AHEAD);
        // Every chunk is being filled, waiting, or held by the reader: the return channel
        // never holds more than all of them.
        let (empty, empty_rx) = sync_channel::<Chunk>(CHUNKS_AHEAD + 2);
        for _ in 0..CHUNKS_AHEAD + 1 {
            let _ = empty.try_send(Chunk::default());
        }
        let thread = std::thread::Builder::new()
            .name("rulec-read".into())
            .spawn(move || fill(src, index, &empty_rx, &filled_tx))?;
        Ok(Chunks { filled, empty, done: false, thread: Some(thread) })
    }

    /// The next chunk (its bytes from [`HEAD`] on), `None` at the end, or the read error.
    pub(crate) fn next(&mut self) -> io::Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        let msg = self.filled.recv();
        self.done = !matches!(msg, Ok(Msg::Data(_)));
        match msg {
            Ok(Msg::Data(c)) => Ok(Some(c)),
            Ok(Msg::End) => Ok(None),
            Ok(Msg::Failed(e)) => Err(e),
            Err(_) => {
                // The thread ended without saying why: it panicked. That panic is this
                // reader's (a bug must not pass for the end of the capture).
                if let Some(Err(p)) = self.thread.take().map(JoinHandle::join) {
                    std::panic::resume_unwind(p);
                }
                Ok(None)
            }
        }
    }

    /// Gives a chunk done with (or any buffers) back to be filled.
    pub(crate) fn recycle(&self, used: Chunk) {
        // After the thread's end it is not needed; while it runs the channel has room.
        let _ = self.empty.try_send(used);
    }
}

/// The reading thread: fills the buffers it is given until the stream ends or fails, or the
/// reader has gone (a closed channel).
fn fill(
    mut src: Box<dyn Read + Send>,
    mut index: Option<Box<dyn Index>>,
    empty: &Receiver<Chunk>,
    filled: &SyncSender<Msg>,
) {
    while let Ok(mut c) = empty.recv() {
        // A full chunk comes back at its full length: nothing is zeroed again.
        c.bytes.resize(HEAD + CHUNK, 0);
        let (k, failed) = super::read_full(&mut *src, &mut c.bytes[HEAD..]);
        let last = k < CHUNK;
        c.bytes.truncate(HEAD + k);
        c.marks.clear();
        if let Some(ix) = index.as_mut() {
            ix.index(&c.bytes[HEAD..], HEAD, &mut c.marks);
        }
        if k > 0 && filled.send(Msg::Data(c)).is_err() {
            return;
        }
        if last {
            let _ = filled.send(failed.map_or(Msg::End, Msg::Failed));
            return;
        }
    }
}

#[cfg(test)]
mod tests;
