//! A file, appended to, one alert per line. [`Sink::reopen`] closes and opens the path again, so
//! that after logrotate renames the file, alerts go to the new one. A failed write reopens the
//! file once and tries again before giving the alert up.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Control, Sink, line};
use crate::{Delivery, OutputFormat};

pub(super) struct File {
    path: PathBuf,
    format: OutputFormat,
    file: Option<std::fs::File>,
}

fn open_append(path: &Path) -> Result<std::fs::File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {} for appending: {e}", path.display()))
}

impl File {
    pub(super) fn open(path: &Path, format: OutputFormat) -> Result<File, String> {
        Ok(File { path: path.to_path_buf(), format, file: Some(open_append(path)?) })
    }

    fn write(&mut self, text: &str) -> Result<(), String> {
        if self.file.is_none() {
            self.file = Some(open_append(&self.path)?);
        }
        let Some(f) = self.file.as_mut() else { return Err("no file".into()) };
        let mut buf = Vec::with_capacity(text.len() + 1);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
        f.write_all(&buf).map_err(|e| {
            self.file = None;
            format!("cannot write to {}: {e}", self.path.display())
        })
    }
}

impl Sink for File {
    fn deliver(&mut self, alert: &Delivery, control: &Control) -> Result<(), String> {
        let text = line(alert, self.format);
        match self.write(text) {
            Ok(()) => Ok(()),
            Err(_) => {
                control.retried();
                self.write(text)
            }
        }
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.file = None;
        self.file = Some(open_append(&self.path)?);
        Ok(())
    }
}
