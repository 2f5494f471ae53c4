//! `--cast FILE.cast`: the session as an asciicast v2 file, the format
//! asciinema plays (`asciinema play FILE.cast`) and embeds in a web page.
//!
//! The first line is a JSON header (version 2, the terminal's width and
//! height, a timestamp and the environment); every other line is one
//! output event `[seconds, "o", "bytes"]`, in increasing time. [`Tee`]
//! wraps what the terminal backend writes to: everything goes on to the
//! terminal as it is, and each flush (one per frame drawn) becomes one
//! event, so the cast has the dashboard's frames at its frame rate.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

/// Why a cast could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CastError {
    #[error("{0} exists; pass --force to replace it")]
    Exists(PathBuf),
    #[error("cannot write the cast {path}: {error}")]
    Io { path: PathBuf, error: io::Error },
}

/// The header's environment.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Env {
    #[serde(rename = "SHELL")]
    pub shell: String,
    #[serde(rename = "TERM")]
    pub term: String,
}

impl Env {
    /// This process's `SHELL` and `TERM`.
    #[must_use]
    pub fn current() -> Env {
        Env {
            shell: std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into()),
            term: std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into()),
        }
    }
}

#[derive(serde::Serialize)]
struct Header<'a> {
    version: u32,
    width: u16,
    height: u16,
    timestamp: u64,
    env: &'a Env,
}

/// An asciicast v2 file being written.
pub struct Cast {
    path: PathBuf,
    out: BufWriter<File>,
    last_t: f64,
}

impl Cast {
    /// Starts a cast of a `width`×`height` terminal at `path` (refused if
    /// it exists, unless `force`); `timestamp` is the Unix time it began.
    pub fn create(
        path: &Path,
        width: u16,
        height: u16,
        timestamp: u64,
        env: &Env,
        force: bool,
    ) -> Result<Cast, CastError> {
        let io = |error| CastError::Io {
            path: path.to_path_buf(),
            error,
        };
        let file = crate::scenario::recording::create_file(path, force).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                CastError::Exists(path.to_path_buf())
            } else {
                io(e)
            }
        })?;
        let mut out = BufWriter::new(file);
        let header = serde_json::to_string(&Header {
            version: 2,
            width,
            height,
            timestamp,
            env,
        })
        .map_err(|e| io(io::Error::other(e)))?;
        writeln!(out, "{header}").map_err(io)?;
        Ok(Cast {
            path: path.to_path_buf(),
            out,
            last_t: 0.0,
        })
    }

    /// Where the cast is written.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One output event at `t` seconds from the start (never before the
    /// previous one).
    pub fn output(&mut self, t: f64, data: &str) -> io::Result<()> {
        let t = if t.is_finite() {
            t.max(self.last_t)
        } else {
            self.last_t
        };
        self.last_t = t;
        let data = serde_json::to_string(data).map_err(io::Error::other)?;
        writeln!(self.out, "[{t:.6}, \"o\", {data}]")
    }

    /// Writes what is buffered to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Where event times come from.
pub enum Clock {
    /// Real time since the cast began.
    Wall(Instant),
    /// Set from outside (a program drawing frames at a simulated pace).
    Manual(std::rc::Rc<std::cell::Cell<f64>>),
}

impl Clock {
    fn seconds(&self) -> f64 {
        match self {
            Clock::Wall(t0) => t0.elapsed().as_secs_f64(),
            Clock::Manual(c) => c.get(),
        }
    }
}

/// What a [`Tee`] shares with its [`CastHandle`].
struct Shared {
    cast: Option<Cast>,
    clock: Clock,
    pending: Vec<u8>,
    /// The first error writing the cast (the terminal goes on without it).
    error: Option<CastError>,
}

impl Shared {
    fn emit(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // A character cut by the flush waits for the rest of its bytes.
        let cut = match std::str::from_utf8(&self.pending) {
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            _ => self.pending.len(),
        };
        if cut == 0 {
            return;
        }
        let rest = self.pending.split_off(cut);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        let t = self.clock.seconds();
        if let Some(cast) = &mut self.cast
            && let Err(error) = cast.output(t, &text)
        {
            self.error = Some(CastError::Io {
                path: cast.path.clone(),
                error,
            });
            self.cast = None;
        }
    }
}

/// A writer that passes everything on to `inner` and turns each flush
/// into one event of the cast.
pub struct Tee<W: Write> {
    inner: W,
    shared: Rc<RefCell<Shared>>,
}

/// Ends the cast of a [`Tee`] that was handed over (to a terminal).
pub struct CastHandle {
    shared: Rc<RefCell<Shared>>,
}

impl<W: Write> Tee<W> {
    /// The writer, and the handle that ends the cast.
    #[must_use]
    pub fn new(inner: W, cast: Cast, clock: Clock) -> (Tee<W>, CastHandle) {
        let shared = Rc::new(RefCell::new(Shared {
            cast: Some(cast),
            clock,
            pending: Vec::new(),
            error: None,
        }));
        (
            Tee {
                inner,
                shared: Rc::clone(&shared),
            },
            CastHandle { shared },
        )
    }
}

impl CastHandle {
    /// Ends the cast: what is left is written and the file flushed;
    /// returns its path, or the first error met writing it.
    pub fn finish(&self) -> Result<PathBuf, CastError> {
        let mut s = self.shared.borrow_mut();
        s.emit();
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        let Some(mut cast) = s.cast.take() else {
            return Err(CastError::Io {
                path: PathBuf::new(),
                error: io::Error::other("the cast was already finished"),
            });
        };
        cast.flush().map_err(|error| CastError::Io {
            path: cast.path.clone(),
            error,
        })?;
        Ok(cast.path)
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.shared
            .borrow_mut()
            .pending
            .extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()?;
        self.shared.borrow_mut().emit();
        Ok(())
    }
}
