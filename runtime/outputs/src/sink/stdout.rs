//! Standard output: one alert per line, flushed after each, so a reader sees alerts as they come.

use std::io::Write;

use super::{Control, Sink, line};
use crate::{Delivery, OutputFormat};

pub(super) struct Stdout {
    format: OutputFormat,
}

impl Stdout {
    pub(super) fn new(format: OutputFormat) -> Stdout {
        Stdout { format }
    }
}

impl Sink for Stdout {
    fn deliver(&mut self, alert: &Delivery, _: &Control) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", line(alert, self.format))
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to standard output: {e}"))
    }
}
