//! Where the report goes and how it looks: standard output or a file renamed into place, the
//! corrected chain of `--write-chain`, colour and width for the table.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::args::ColorChoice;
use certscan_report::{self as report, Format, Gate};

/// What the report needs from the command line, beside the scan.
pub struct Output {
    pub format: Format,
    /// `-o FILE`, else standard output.
    pub path: Option<PathBuf>,
    pub color: ColorChoice,
    /// `--verbose`: the table shows every endpoint's details and the INFO findings.
    pub verbose: bool,
    /// `--fail-on` and `--ignore`, as given.
    pub gate: Gate,
    pub started_at: String,
    pub evaluated_at: String,
}

impl Output {
    /// An empty report of this run, for the results to be added to.
    pub fn empty_run(&self, thresholds: certscan_checks::validity::Thresholds) -> report::Run {
        report::Run {
            started_at: self.started_at.clone(),
            evaluated_at: self.evaluated_at.clone(),
            thresholds,
            targets: vec![],
            tally: Default::default(),
            empty_shard: false,
            gate: self.gate.clone(),
            duration_seconds: None,
        }
    }

    /// The table's colour and width, from `--color`, `NO_COLOR`, the terminal and `COLUMNS`.
    pub fn layout(&self) -> report::table::Layout {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = use_color(
            self.color,
            self.format,
            self.path.is_some(),
            std::io::stdout().is_terminal(),
            no_color,
        );
        let terminal_columns = std::io::stdout()
            .is_terminal()
            .then(|| rustix::termios::tcgetwinsize(std::io::stdout()).ok())
            .flatten()
            .map(|size| size.ws_col);
        report::table::Layout {
            color,
            width: report::table::width_for(
                terminal_columns.filter(|_| self.path.is_none()),
                std::env::var("COLUMNS").ok().as_deref(),
            ),
            verbose: self.verbose,
        }
    }
}

/// Colour only for tables: always or never when asked, else on a terminal without NO_COLOR.
pub(crate) fn use_color(
    choice: ColorChoice,
    format: Format,
    to_file: bool,
    stdout_is_terminal: bool,
    no_color: bool,
) -> bool {
    format == Format::Table
        && match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !to_file && stdout_is_terminal && !no_color,
        }
}

/// Writes to standard output; a closed pipe (`certscan ... | head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> std::io::Result<()> {
    write_stdout_bytes(text.as_bytes())
}

pub(crate) fn write_stdout_bytes(bytes: &[u8]) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A report file written under a temporary name beside its path, then renamed over it: a
/// reader never sees half a report, and a symbolic link at the path is replaced, not followed.
/// Dropped without [`ReportFile::commit`], the temporary file is removed.
pub(crate) struct ReportFile {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl ReportFile {
    pub(crate) fn create(path: &std::path::Path) -> std::io::Result<ReportFile> {
        let name = path
            .file_name()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".certscan-{}.tmp", std::process::id()));
        let temporary = path.with_file_name(temporary_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        Ok(ReportFile {
            path: path.to_path_buf(),
            temporary,
            file: Some(std::io::BufWriter::new(file)),
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.file {
            Some(file) => file.write_all(bytes),
            None => Ok(()),
        }
    }

    fn commit(mut self) -> std::io::Result<()> {
        let Some(file) = self.file.take() else { return Ok(()) };
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.temporary, &self.path)
    }
}

impl Drop for ReportFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// `--write-chain`: writes the first corrected chain of the run (atomically, as the report);
/// another endpoint that needs a different chain is said, not written over it.
pub(crate) struct ChainWriter {
    path: PathBuf,
    written: Option<(String, String)>,
    notes: Vec<String>,
    failed: bool,
}

impl ChainWriter {
    pub fn new(path: PathBuf) -> ChainWriter {
        ChainWriter {
            path,
            written: None,
            notes: vec![],
            failed: false,
        }
    }

    pub fn offer(&mut self, result: &certscan_checks::TargetResult) {
        let Some(pem) = &result.corrected_chain else { return };
        match &self.written {
            Some((_, same)) if same == pem => {}
            Some((first, _)) => self.notes.push(format!(
                "{} needs another chain than {first}; {} holds {first}'s",
                result.label(),
                self.path.display()
            )),
            None => {
                let written = ReportFile::create(&self.path).and_then(|mut file| {
                    file.write(pem.as_bytes())?;
                    file.commit()
                });
                match written {
                    Ok(()) => self.written = Some((result.label(), pem.clone())),
                    Err(e) => {
                        self.failed = true;
                        self.notes.push(format!(
                            "cannot write the corrected chain to {}: {e}",
                            self.path.display()
                        ));
                    }
                }
            }
        }
    }

    /// Says what happened on standard error; whether the run must end UNKNOWN.
    pub fn finish(self) -> bool {
        if self.written.is_none() && !self.failed {
            eprintln!(
                "certscan: --write-chain: no chain was corrected (none lacked an intermediate that --fetch-issuer could fetch), so {} was not written",
                self.path.display()
            );
        }
        for note in &self.notes {
            eprintln!("certscan: --write-chain: {note}");
        }
        self.failed
    }
}

/// One target's results as the report needs them: NDJSON lines already rendered, with their
/// counts, or the results themselves.
pub(crate) enum Prepared {
    Lines { ndjson: Vec<u8>, tally: report::Tally },
    Results(Vec<certscan_checks::TargetResult>),
}

/// Where the report goes: standard output (what is written waits in `pending` until a flush)
/// or a file, renamed into place when the run ends.
pub(crate) enum ReportOutput {
    Stdout { pending: Vec<u8> },
    File(ReportFile),
}

/// Standard output is written once this much is pending, even while more results are ready, so
/// a burst of results (thousands of endpoints timing out together) is not held in memory.
const STDOUT_BATCH: usize = 64 * 1024;

impl ReportOutput {
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            ReportOutput::Stdout { .. } if bytes.len() >= STDOUT_BATCH => {
                // A whole report: written as it is, not copied.
                self.flush()?;
                write_stdout_bytes(bytes)
            }
            ReportOutput::Stdout { pending } => {
                pending.extend_from_slice(bytes);
                if pending.len() >= STDOUT_BATCH {
                    return self.flush();
                }
                Ok(())
            }
            ReportOutput::File(file) => file.write(bytes),
        }
    }

    /// Hands what is pending to standard output (a file is only read once renamed into place).
    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            ReportOutput::Stdout { pending } if !pending.is_empty() => {
                let written = write_stdout_bytes(pending);
                pending.clear();
                written
            }
            ReportOutput::Stdout { .. } | ReportOutput::File(_) => Ok(()),
        }
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.flush()?;
        match self {
            ReportOutput::Stdout { .. } => Ok(()),
            ReportOutput::File(file) => file.commit(),
        }
    }
}
