//! One run of a plan: the open-file budget and the runtime, a progress bar on a terminal, the
//! scan with its results written as they come (NDJSON) or kept in input order (the other
//! formats), then the report and the exit code.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use super::output::{ChainWriter, Output, Prepared, ReportFile, ReportOutput};
use super::plan::NOTHING_TO_SCAN;
use super::usage_error;
use crate::scan::{self, Order, Plan, ScanEnd};
use certscan_checks::TargetResult;
use certscan_probe as probe;
use certscan_report::{self as report, Format, Run};

/// Scans the plan and writes the report; the exit code.
pub fn run(mut plan: Plan, output: Output) -> ExitCode {
    fit_open_files(&mut plan);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return usage_error(&format!("cannot start the async runtime: {e}")),
    };
    let bar = progress_bar(&output, &mut plan.probe);
    let destination = match &output.path {
        None => ReportOutput::Stdout { pending: Vec::new() },
        Some(path) => match ReportFile::create(path) {
            Ok(file) => ReportOutput::File(file),
            Err(e) => return usage_error(&format!("cannot write {}: {e}", path.display())),
        },
    };
    let mut collected = Collected::new(&plan, &output, destination);
    let source = std::mem::take(&mut plan.targets);
    let plan = Arc::new(plan);
    let started = std::time::Instant::now();
    let prepare = collected.preparer();
    let end = runtime.block_on(scan::scan(plan.clone(), source, prepare, |order, prepared, more| {
        collected.take(order, prepared, more)
    }));
    // A system lookup still running in a blocking thread past its deadline must not hold the
    // process: the run is over.
    runtime.shutdown_background();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    collected.run.duration_seconds = Some(started.elapsed().as_secs_f64());
    collected.finish(&plan, &output, end)
}

/// Raises the soft open-file limit to what the slots need, and sizes the quiet pool within it.
fn fit_open_files(plan: &mut Plan) {
    let sizes = &mut plan.probe.slots;
    let budget = crate::limits::open_files_for(sizes.active, sizes.quiet);
    if let Some(warning) = &budget.warning {
        eprintln!("certscan: warning: {warning}");
    }
    sizes.quiet = budget.quiet;
    sizes.quiet_limited_by_open_files = budget.quiet_limited;
}

/// A progress bar on standard error, for tables on a terminal; it grows as targets are read.
fn progress_bar(output: &Output, probe: &mut probe::ProbeOptions) -> Option<indicatif::ProgressBar> {
    if output.format != Format::Table || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} probing {pos}/{len} endpoints {wide_bar} {elapsed}")
    {
        bar.set_style(style);
    }
    let (queued, done) = (bar.clone(), bar.clone());
    probe.queued = Some(probe::Progress(Arc::new(move || queued.inc_length(1))));
    probe.progress = Some(probe::Progress(Arc::new(move || {
        // A name can resolve to several addresses: grow the total rather than overflow it.
        if done.position() + 1 > done.length().unwrap_or(0) {
            done.inc_length(1);
        }
        done.inc(1)
    })));
    Some(bar)
}

/// What the run gathers while the scan goes: the report's counts, the results kept for the
/// formats that keep the input's order, and the first failure to write.
struct Collected {
    run: Run,
    destination: ReportOutput,
    /// NDJSON prints each result as it comes and keeps none; the other formats keep them all,
    /// to print them in the order of the input.
    streaming: bool,
    kept: Vec<(Order, Vec<TargetResult>)>,
    write_error: Option<std::io::Error>,
    chain_writer: Option<ChainWriter>,
}

impl Collected {
    fn new(plan: &Plan, output: &Output, destination: ReportOutput) -> Collected {
        Collected {
            run: output.empty_run(plan.policy.thresholds),
            destination,
            streaming: output.format == Format::Ndjson,
            kept: Vec::new(),
            write_error: None,
            chain_writer: plan.policy.write_chain.clone().map(ChainWriter::new),
        }
    }

    /// How a target's results are prepared in the task that made them: NDJSON lines are
    /// rendered there, unless `--write-chain` needs the results themselves here.
    fn preparer(&self) -> impl Fn(Vec<TargetResult>) -> Prepared + Send + Sync + 'static {
        let render_lines = self.streaming && self.chain_writer.is_none();
        move |results: Vec<TargetResult>| {
            if !render_lines {
                return Prepared::Results(results);
            }
            let mut ndjson = Vec::with_capacity(4096);
            let mut tally = report::Tally::default();
            for result in &results {
                report::json::write_ndjson_target_line(&mut ndjson, result);
                tally.add(result);
            }
            // Thousands of endpoints that time out together wait with their lines to be written.
            ndjson.shrink_to_fit();
            Prepared::Lines { ndjson, tally }
        }
    }

    /// One target's results, as the scan hands them over.
    fn take(&mut self, order: Order, prepared: Prepared, more: scan::MoreWaiting) {
        match prepared {
            Prepared::Lines { ndjson, tally } => {
                self.write(&ndjson);
                self.run.tally.absorb(tally);
            }
            Prepared::Results(results) => {
                if let Some(writer) = &mut self.chain_writer {
                    results.iter().for_each(|result| writer.offer(result));
                }
                if !self.streaming {
                    self.kept.push((order, results));
                    return;
                }
                let mut ndjson = Vec::new();
                for result in results {
                    report::json::write_ndjson_target_line(&mut ndjson, &result);
                    self.run.add(result, false);
                }
                self.write(&ndjson);
            }
        }
        // Lines that came together leave in one write; none waits for a later result.
        if more == scan::MoreWaiting(false)
            && self.write_error.is_none()
            && let Err(e) = self.destination.flush()
        {
            self.write_error = Some(e);
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        if self.write_error.is_none()
            && let Err(e) = self.destination.write(bytes)
        {
            self.write_error = Some(e);
        }
    }

    /// Writes the report (the whole of it, or the summary after the streamed lines); the exit code.
    fn finish(mut self, plan: &Plan, output: &Output, end: ScanEnd) -> ExitCode {
        self.kept.sort_by_key(|(order, _)| *order);
        for result in std::mem::take(&mut self.kept)
            .into_iter()
            .flat_map(|(_, results)| results)
        {
            self.run.add(result, true);
        }
        if let Some(note) = &end.open_files_note {
            eprintln!("certscan: warning: {note}");
        }
        if self.run.tally.total() == 0 {
            // One job's empty slice of a list that is not empty is fine; an empty list is not.
            if plan.shard.is_some() && (end.targets.read > 0 || plan.unsharded_sources > 0) {
                self.run.empty_shard = true;
            } else {
                return usage_error(NOTHING_TO_SCAN);
            }
        }
        let text = report::render(&self.run, output.format, output.layout());
        let written = match self.write_error {
            Some(e) => Err(e),
            None => self
                .destination
                .write(text.as_bytes())
                .and_then(|()| self.destination.finish()),
        };
        if let Err(e) = written {
            return usage_error(&match &output.path {
                Some(path) => format!("cannot write {}: {e}", path.display()),
                None => format!("cannot write the report: {e}"),
            });
        }
        // Nagios reads the status from the exit code: --fail-on is for CI gates.
        let code = if output.format == Format::Nagios {
            self.run.status().exit_code()
        } else {
            self.run.exit_code()
        };
        // A corrected chain that could not be written leaves the run's outcome unknown.
        let chain_write_failed = self.chain_writer.is_some_and(ChainWriter::finish);
        ExitCode::from(if chain_write_failed { code.max(3) } else { code })
    }
}
