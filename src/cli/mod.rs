//! The command: flags ([`args`]) are checked and turned into a scan plan ([`plan`]), the
//! questions that need no scan (`--explain`, `--man`, `--list-*`) are answered at once, and
//! [`run`] scans and writes the report ([`output`]); `certscan serve` runs the same scans as a
//! Prometheus exporter ([`serve`]). Usage errors are said before anything is
//! probed and exit with 3 (UNKNOWN).

mod args;
mod manual;
mod output;
mod plan;
mod run;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, ValueEnum};

use args::Args;
use certscan_model::catalog;
use certscan_model::status::Status;
use certscan_platforms::profile;
use certscan_report::{self as report, Format};
use output::write_stdout;

/// The whole program: parse, scan, report, exit code.
pub fn main() -> ExitCode {
    let mut args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => return flag_error(e),
    };
    if let Some(args::Command::Serve(serve)) = args.command.take() {
        return serve::run(serve);
    }
    if let Some(code) = answer_without_scanning(&args) {
        return code;
    }
    match plan::build(args) {
        Ok((plan, output)) => run::run(plan, output),
        Err(message) => usage_error(&message),
    }
}

/// A flag clap refused (or `--help`, `--version`, which it prints).
fn flag_error(e: clap::Error) -> ExitCode {
    let _ = e.print();
    if !e.use_stderr() {
        return ExitCode::SUCCESS;
    }
    let first = e
        .to_string()
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_string();
    say_on_stdout(&first, first.clone());
    ExitCode::from(Status::Unknown.exit_code())
}

/// `--explain`, `--man`, `--completions` and the `--list-*` flags.
fn answer_without_scanning(args: &Args) -> Option<ExitCode> {
    let text = if let Some(id) = &args.explain {
        match catalog::lookup(id) {
            Some(entry) => catalog::explain(entry),
            None => {
                return Some(usage_error(&format!(
                    "no check is called {id:?} (certscan --list-checks lists them)"
                )));
            }
        }
    } else if args.man {
        match manual::page() {
            Ok(page) => page,
            Err(e) => return Some(usage_error(&format!("cannot write the manual page: {e}"))),
        }
    } else if let Some(shell) = args.completions {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Args::command(), "certscan", &mut script);
        String::from_utf8_lossy(&script).into_owned()
    } else if args.list_profiles {
        profile::list()
    } else if args.list_clients {
        if let Some(path) = &args.clients_file {
            let added = std::fs::read_to_string(path)
                .map_err(|e| format!("--clients-file: cannot read {}: {e}", path.display()))
                .and_then(|text| {
                    certscan_checks::clients::add_user_families(&text, &format!("--clients-file {}", path.display()))
                });
            if let Err(e) = added {
                return Some(usage_error(&e));
            }
        }
        certscan_checks::clients::list()
    } else if args.list_policies {
        certscan_checks::compliance::list()
    } else if args.list_checks {
        match args.format() {
            Format::Json | Format::Ndjson => catalog::as_json(args.format() == Format::Ndjson),
            Format::Table | Format::Nagios | Format::Prometheus | Format::Junit => catalog::entries()
                .iter()
                .map(|e| format!("{:<24} {:<9} {}\n", e.id, e.severity.as_str(), e.title))
                .collect(),
        }
    } else {
        return None;
    };
    let _ = write_stdout(&text);
    Some(ExitCode::SUCCESS)
}

/// Says a usage error on standard error, and on standard output in the format asked for.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("certscan: {message}");
    say_on_stdout(message, message.replace('|', "/"));
    ExitCode::from(Status::Unknown.exit_code())
}

/// A monitoring system shows a plugin's standard output only, and a CI job parses it: a usage
/// error is said there too, in the format asked for (`nagios_text` on the Nagios status line).
fn say_on_stdout(message: &str, nagios_text: String) {
    let said = match requested_format(std::env::args()) {
        Some(Format::Nagios) => format!("CERTSCAN UNKNOWN - {nagios_text}\n"),
        Some(Format::Json) => report::json::usage_error(message, false),
        Some(Format::Ndjson) => report::json::usage_error(message, true),
        Some(Format::Junit) => report::junit::usage_error(message),
        Some(Format::Table | Format::Prometheus) | None => String::new(),
    };
    if !said.is_empty() {
        let _ = write_stdout(&said);
    }
}

/// The format the command line asks for (looked at before, or without, parsing it).
fn requested_format(args: impl IntoIterator<Item = String>) -> Option<Format> {
    let args: Vec<String> = args.into_iter().collect();
    let value = args
        .windows(2)
        .rev()
        .find(|w| w[0] == "--format")
        .map(|w| w[1].clone())
        .or_else(|| {
            args.iter()
                .rev()
                .find_map(|a| a.strip_prefix("--format=").map(str::to_string))
        })?;
    args::FormatArg::from_str(&value, false).ok().map(Format::from)
}

#[cfg(test)]
mod tests {
    use super::args::ColorChoice;
    use super::output::use_color;
    use super::*;

    #[test]
    fn the_format_is_recognised_before_parsing() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let format = |list: &[&str]| requested_format(args(list));
        assert_eq!(
            format(&["certscan", "--format", "nagios", "x:99999"]),
            Some(Format::Nagios)
        );
        assert_eq!(format(&["certscan", "--format=ndjson"]), Some(Format::Ndjson));
        assert_eq!(
            format(&["certscan", "--format", "json", "--format", "nagios"]),
            Some(Format::Nagios)
        );
        assert_eq!(format(&["certscan", "--format", "yaml"]), None);
        assert_eq!(format(&["certscan", "x:1"]), None);
    }

    #[test]
    fn colour_only_for_tables_on_a_terminal_without_no_color() {
        let auto = ColorChoice::Auto;
        assert!(use_color(auto, Format::Table, false, true, false));
        assert!(!use_color(auto, Format::Table, false, true, true));
        assert!(!use_color(auto, Format::Table, false, false, false));
        assert!(!use_color(auto, Format::Table, true, true, false));
        assert!(!use_color(auto, Format::Json, false, true, false));
        assert!(use_color(ColorChoice::Always, Format::Table, true, false, true));
        assert!(!use_color(ColorChoice::Never, Format::Table, false, true, false));
        assert!(!use_color(ColorChoice::Always, Format::Nagios, false, true, false));
    }
}
