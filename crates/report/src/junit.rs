//! JUnit XML, as GitLab, Jenkins and Azure DevOps show test results: one test suite per
//! endpoint, one test case per check that found something there, and a `verdict` case that
//! passes when the endpoint is OK. Findings below `--fail-on` pass with their detail in the
//! output, ignored ones are skipped, UNKNOWN ones are errors.

use std::fmt::Write;

use super::{FailOn, Run, printable};
use certscan_checks::TargetResult;
use certscan_model::finding::Finding;
use certscan_model::status::{Severity, Status};

/// Text made safe for XML 1.0 content and attributes: control characters escaped as certscan
/// writes them everywhere (`\u{..}`), then the five markup characters as entities.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in printable(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Keeps line breaks (in element content), escaping each line.
fn xml_lines(text: &str) -> String {
    text.split('\n').map(xml).collect::<Vec<_>>().join("\n")
}

/// How a finding counts under `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Failure,
    Error,
    Pass,
}

fn outcome(finding: &Finding, fail_on: FailOn) -> Outcome {
    match (finding.severity, fail_on) {
        (Severity::Unknown, _) => Outcome::Error,
        (Severity::Critical, _) => Outcome::Failure,
        (Severity::Warning, FailOn::Warning | FailOn::Info) => Outcome::Failure,
        (Severity::Info, FailOn::Info) => Outcome::Failure,
        _ => Outcome::Pass,
    }
}

/// The suite of one endpoint (or file), with its counts.
/// The counts of a suite's test cases.
#[derive(Default)]
struct Counts {
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// The class of an endpoint's test cases: `certscan.` then the endpoint with its dots as
/// underscores, since Jenkins takes what follows the last dot of a classname as the class
/// (`certscan.wazo.example.com:443` would show as class `com:443` of package
/// `certscan.wazo.example`). The suite keeps the endpoint's name as it is.
fn classname(name: &str) -> String {
    xml(&format!("certscan.{}", name.replace('.', "_")))
}

fn suite(target: &TargetResult, run: &Run, name: &str) -> (String, usize, usize, usize) {
    let classname = classname(name);
    let mut counts = Counts::default();
    let mut finding_cases = String::new();
    for finding in &target.findings {
        finding_cases.push_str(&finding_case(finding, run.gate.fail_on, &classname, &mut counts));
    }
    // A finding that failed already counts the endpoint's failure: its verdict case then
    // passes and says so, so that one broken endpoint is one failure, not two.
    let counted = counts.failures + counts.errors > 0;
    let mut cases = verdict_case(target, run, name, &classname, counted, &mut counts);
    cases.push_str(&finding_cases);
    for id in &target.ignored {
        counts.skipped += 1;
        let _ = writeln!(
            cases,
            "    <testcase classname=\"{classname}\" name=\"{}\"><skipped message=\"accepted with --ignore\"/></testcase>",
            xml(id)
        );
    }
    let tests = 1 + target.findings.len() + target.ignored.len();
    let text = format!(
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" timestamp=\"{}\">\n    <properties>{}</properties>\n{cases}  </testsuite>\n",
        xml(name),
        counts.failures,
        counts.errors,
        counts.skipped,
        xml(run.evaluated_at.trim_end_matches('Z')),
        properties(target),
    );
    (text, tests, counts.failures, counts.errors)
}

/// The `verdict` test case: it fails unless the endpoint is OK (or only warns under
/// `--fail-on critical`); UNKNOWN is an error. When a finding's case failed already
/// (`counted`), it passes and names the endpoint's status in its output.
fn verdict_case(
    target: &TargetResult,
    run: &Run,
    name: &str,
    classname: &str,
    counted: bool,
    counts: &mut Counts,
) -> String {
    let mut case = format!("    <testcase classname=\"{classname}\" name=\"verdict\">");
    let verdict_failed = match target.status {
        Status::Ok => false,
        Status::Warning => run.gate.fail_on != FailOn::Critical,
        Status::Critical | Status::Unknown => true,
    };
    if verdict_failed && counted {
        let _ = write!(
            case,
            "<system-out>{}</system-out>",
            xml(&format!(
                "{name} is {}: the failing cases of its findings count it",
                target.status.label()
            ))
        );
    } else if verdict_failed {
        let tag = if target.status == Status::Unknown {
            counts.errors += 1;
            "error"
        } else {
            counts.failures += 1;
            "failure"
        };
        let ids: Vec<&str> = target.findings.iter().map(|f| f.id.as_str()).collect();
        let _ = write!(
            case,
            "<{tag} type=\"{}\" message=\"{}\"/>",
            target.status.label(),
            xml(&format!("{name} is {}: {}", target.status.label(), ids.join(", ")))
        );
    }
    case.push_str("</testcase>\n");
    case
}

/// One finding's test case: a failure, an error (UNKNOWN), or a pass with its detail.
fn finding_case(finding: &Finding, fail_on: FailOn, classname: &str, counts: &mut Counts) -> String {
    let entry = certscan_model::catalog::entry(finding.id);
    let remediation = finding.remediation.as_deref().unwrap_or(&entry.remediation);
    let body = xml_lines(&format!(
        "{}\n\nHow to fix: {}\nWhy: certscan --explain {}",
        finding.detail,
        remediation.trim(),
        finding.id
    ));
    let mut case = format!("    <testcase classname=\"{classname}\" name=\"{}\">", finding.id);
    let message = xml(&format!("{}: {}", finding.severity.as_str(), entry.title));
    match outcome(finding, fail_on) {
        Outcome::Failure => {
            counts.failures += 1;
            let _ = write!(
                case,
                "<failure type=\"{}\" message=\"{message}\">{body}</failure>",
                finding.severity.as_str()
            );
        }
        Outcome::Error => {
            counts.errors += 1;
            let _ = write!(case, "<error type=\"unknown\" message=\"{message}\">{body}</error>");
        }
        Outcome::Pass => {
            let _ = write!(case, "<system-out>{message}\n{body}</system-out>");
        }
    }
    case.push_str("</testcase>\n");
    case
}

/// The suite's properties: input, status, address, protocol, days left.
fn properties(target: &TargetResult) -> String {
    let mut properties = String::new();
    for (name, value) in [
        ("input", Some(target.input.clone())),
        ("status", Some(target.status.label().to_lowercase())),
        ("address", target.address.clone()),
        ("protocol", target.protocol.map(|p| p.as_str().to_string())),
        ("days_left", target.days_left.map(|d| d.to_string())),
    ] {
        if let Some(value) = value {
            let _ = write!(properties, "<property name=\"{name}\" value=\"{}\"/>", xml(&value));
        }
    }
    properties
}

pub(crate) fn render(run: &Run) -> String {
    // An address is added to a name only where one name and port has several.
    let mut counts = std::collections::HashMap::new();
    for target in &run.targets {
        *counts.entry(target.label()).or_insert(0usize) += 1;
    }
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for target in &run.targets {
        let label = target.label();
        let name = match &target.address {
            Some(address) if counts.get(&label).is_some_and(|n| *n > 1) => format!("{label} ({address})"),
            _ => label,
        };
        let (text, t, f, e) = suite(target, run, &name);
        suites.push_str(&text);
        tests += t;
        failures += f;
        errors += e;
    }
    let time = run
        .duration_seconds
        .map(|s| format!(" time=\"{s:.3}\""))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"certscan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\"{time}>\n{suites}</testsuites>\n"
    )
}

/// What a usage error prints on standard output in JUnit: one suite whose one case is in
/// error, so the CI's test view says why there is no report.
pub fn usage_error(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"certscan\" tests=\"1\" failures=\"0\" errors=\"1\">\n  <testsuite name=\"certscan\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"certscan\" name=\"command line\"><error type=\"usage\" message=\"{}\"/></testcase>\n  </testsuite>\n</testsuites>\n",
        xml(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_control_characters_are_escaped() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1b}[31m"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\\u{1b}[31m"
        );
    }
}
