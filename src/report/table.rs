//! The human-readable report: one block per endpoint (TLS parameters, the chain, the findings
//! worst first with their fixes) and a summary line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use super::{Run, printable, printable_lines};
use crate::analysis::TargetResult;
use crate::status::{Severity, Status};

/// Width used when the output is not a terminal.
const DEFAULT_WIDTH: u16 = 140;

fn status_color(status: Status) -> Color {
    match status {
        Status::Ok => Color::Green,
        Status::Warning => Color::Yellow,
        Status::Critical => Color::Red,
        Status::Unknown => Color::Magenta,
    }
}

fn new_table(color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    // A terminal that reports no usable width (some ptys say 0 columns) gets COLUMNS or the default.
    if !table.is_tty() || table.width().is_none_or(|w| w < MIN_WIDTH) {
        table.set_width(fallback_width(std::env::var("COLUMNS").ok().as_deref()));
    }
    table
}

/// Narrower than this, a terminal's reported width is not believed.
const MIN_WIDTH: u16 = 60;

fn fallback_width(columns: Option<&str>) -> u16 {
    columns
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= MIN_WIDTH)
        .unwrap_or(DEFAULT_WIDTH)
}

fn paint(text: String, status: Status, color: bool) -> Cell {
    let cell = Cell::new(text);
    if color { cell.fg(status_color(status)) } else { cell }
}

pub fn render(run: &Run, color: bool) -> String {
    let mut out = String::new();
    for target in &run.targets {
        out.push_str(&render_target(target, color));
        out.push('\n');
    }
    let summary = run.summary();
    let status = run.status();
    let mut headline = format!(
        "{}: {} endpoint(s): {} OK, {} WARNING, {} CRITICAL, {} UNKNOWN (evaluated at {})",
        status.label(),
        run.targets.len(),
        summary.ok,
        summary.warning,
        summary.critical,
        summary.unknown,
        run.evaluated_at
    );
    if let Some(note) = run.gate_note() {
        headline.push_str(&format!("; {}", printable(&note)));
    }
    out.push_str(&if color {
        format!("{}\n", paint_text(&headline, status))
    } else {
        format!("{headline}\n")
    });
    out
}

fn paint_text(text: &str, status: Status) -> String {
    let code = match status {
        Status::Ok => 32,
        Status::Warning => 33,
        Status::Critical => 31,
        Status::Unknown => 35,
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn render_target(target: &TargetResult, color: bool) -> String {
    let mut out = String::new();
    let mut heading = printable(&target.label()).into_owned();
    if let Some(address) = &target.address
        && target.host.as_deref() != Some(address)
    {
        heading.push_str(&format!(" ({address})"));
    }
    if let Some(protocol) = target.protocol {
        heading.push_str(&format!(" [{}]", protocol.as_str()));
    }
    if let Some(service) = &target.service {
        heading.push_str(&format!(" {}", printable(service)));
    }
    if let Some(source) = &target.source {
        heading.push_str(&format!(" (from {})", printable(source)));
    }
    let status = target.status.label();
    out.push_str(&if color {
        format!("{heading}  {}\n", paint_text(status, target.status))
    } else {
        format!("{heading}  {status}\n")
    });
    if let Some(tls) = &target.tls {
        let mut line = format!("  {} {}", tls.version, tls.cipher);
        if let Some(group) = &tls.group {
            line.push_str(&format!(", group {group}"));
        }
        if let Some(alpn) = &tls.alpn {
            line.push_str(&format!(", ALPN {alpn}"));
        }
        out.push_str(&printable(&line));
        out.push('\n');
    }
    if let Some(exchange) = &target.exchange {
        let answer = match (&exchange.first_line, &exchange.error) {
            (Some(line), _) => line.clone(),
            (None, Some(error)) => error.clone(),
            (None, None) => String::new(),
        };
        let server = exchange
            .headers
            .get("server")
            .or_else(|| exchange.headers.get("user-agent"));
        let server = server.map(|s| format!(" ({s})")).unwrap_or_default();
        let line = format!("  {} -> {answer}{server}", exchange.request);
        out.push_str(&printable(&line));
        out.push('\n');
    }
    for file in &target.files {
        out.push_str(&format!(
            "  {} {}: mode {}, owner {}, group {}\n",
            file.role,
            printable(&file.path),
            file.mode,
            file.uid,
            file.gid
        ));
    }
    if !target.names_checked.is_empty() {
        out.push_str(&format!(
            "  names checked: {}\n",
            printable(&target.names_checked.join(", "))
        ));
    }
    for r in &target.resolution {
        let view = |addresses: &Option<Vec<String>>, error: &Option<String>| match (addresses, error) {
            (Some(a), _) if a.is_empty() => "none".to_string(),
            (Some(a), _) => a.join(" "),
            (None, Some(e)) => format!("failed ({e})"),
            (None, None) => "not asked".to_string(),
        };
        let hosts = if r.hosts_file.is_empty() {
            "none".to_string()
        } else {
            r.hosts_file.join(" ")
        };
        let line = format!(
            "  {}: hosts file {hosts}; system {}; DNS {}",
            r.name,
            view(&r.system, &r.system_error),
            view(&r.dns, &r.dns_error)
        );
        out.push_str(&printable(&line));
        out.push('\n');
    }
    for c in &target.caa {
        let verdict = match c.permitted {
            Some(true) => "allowed",
            Some(false) => "NOT allowed",
            None => "unknown",
        };
        let at = c.found_at.as_deref().map_or("no CAA record applies".to_string(), |at| {
            let records: Vec<String> = c
                .records
                .iter()
                .map(|r| format!("{} {} \"{}\"", r.flags, r.tag, r.value))
                .collect();
            format!("CAA at {at}: {}", records.join(", "))
        });
        let who = if c.issuer_domains.is_empty() {
            "the issuing CA".to_string()
        } else {
            c.issuer_domains.join(", ")
        };
        out.push_str(&printable(&format!("  {}: {at}; {who} {verdict}", c.name)));
        out.push('\n');
    }
    if !target.chain.is_empty() {
        let mut chain = new_table(color);
        chain.set_header(vec![
            "#",
            "Subject / Issuer",
            "SANs",
            "Not after",
            "Days",
            "Key",
            "Signature",
        ]);
        for (i, cert) in target.chain.iter().enumerate() {
            if let Some(error) = &cert.parse_error {
                chain.add_row(vec![
                    Cell::new(i),
                    Cell::new(format!("unparsable: {}", printable(error))),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                    Cell::new(""),
                ]);
                continue;
            }
            let issuer = if cert.self_signed {
                "(self-signed)".into()
            } else {
                printable(&cert.issuer)
            };
            let who = format!("{}\nissuer: {issuer}", printable(&cert.subject));
            let sans: Vec<String> = cert.sans.iter().map(|s| printable(s).into_owned()).collect();
            let days_status = if cert.days_left < 0 {
                Status::Critical
            } else {
                Status::Ok
            };
            chain.add_row(vec![
                Cell::new(i),
                Cell::new(who),
                Cell::new(sans.join("\n")),
                Cell::new(&cert.not_after),
                paint(cert.days_left.to_string(), days_status, color && cert.days_left < 0),
                Cell::new(format!(
                    "{} {}",
                    cert.key.kind,
                    cert.key.bits.map(|b| b.to_string()).unwrap_or_default()
                )),
                Cell::new(&cert.signature_algorithm),
            ]);
        }
        out.push_str(&indent(&chain.to_string()));
    }
    if target.findings.is_empty() {
        out.push_str("  no findings\n");
    } else {
        let mut findings = new_table(color);
        findings.set_header(vec!["Severity", "Check", "What was found", "How to fix it"]);
        for finding in &target.findings {
            let status = match finding.severity {
                Severity::Info => Status::Ok,
                other => other.status(),
            };
            findings.add_row(vec![
                paint(finding.severity.as_str().to_uppercase(), status, color),
                Cell::new(format!("{}\n{}", finding.id, finding.title())),
                Cell::new(printable(&finding.detail)),
                Cell::new(printable_lines(finding.remediation())),
            ]);
        }
        out.push_str(&indent(&findings.to_string()));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::TargetResult;
    use crate::finding::{CheckId, Finding};

    fn run_with_one_finding() -> Run {
        let target = TargetResult {
            host: Some("example.test".into()),
            port: Some(443),
            address: Some("192.0.2.1".into()),
            sni: Some("example.test".into()),
            status: Status::Critical,
            names_checked: vec!["example.test".into()],
            findings: vec![Finding::new(
                CheckId::ConnectionRefused,
                "the TCP connection was refused",
            )],
            ..TargetResult::empty("example.test".into())
        };
        let mut run = Run {
            empty_shard: false,
            gate: Default::default(),
            started_at: "2030-01-01T00:00:00Z".into(),
            evaluated_at: "2030-01-01T00:00:00Z".into(),
            warning_days: 30,
            critical_days: 14,
            targets: vec![],
            tally: Default::default(),
            duration_seconds: None,
        };
        run.add(target, true);
        run
    }

    #[test]
    fn implausible_widths_fall_back() {
        assert_eq!(fallback_width(Some("200")), 200);
        assert_eq!(fallback_width(Some("0")), DEFAULT_WIDTH);
        assert_eq!(fallback_width(Some("wide")), DEFAULT_WIDTH);
        assert_eq!(fallback_width(None), DEFAULT_WIDTH);
    }

    #[test]
    fn colour_codes_appear_only_when_asked_for() {
        let run = run_with_one_finding();
        let plain = render(&run, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.contains("connection.refused") && plain.contains("example.test:443 (192.0.2.1)"));
        assert!(plain.trim_end().ends_with("(evaluated at 2030-01-01T00:00:00Z)"));
        assert!(render(&run, true).contains("\x1b[31m"));
    }

    #[test]
    fn resolutions_and_caa_verdicts_are_shown() {
        let mut run = run_with_one_finding();
        run.targets[0].resolution = vec![crate::analysis::resolution::ResolutionView {
            name: "wazo.example.test".into(),
            hosts_file: vec!["127.0.1.1".into()],
            system: None,
            system_error: None,
            dns: Some(vec![]),
            dns_error: None,
        }];
        run.targets[0].caa = vec![crate::analysis::caa::CaaReport {
            name: "wazo.example.test".into(),
            found_at: Some("example.test".into()),
            records: vec![crate::analysis::caa::CaaRecordView {
                flags: 0,
                tag: "issue".into(),
                value: ";".into(),
            }],
            issuer_domains: vec!["letsencrypt.org".into()],
            permitted: Some(false),
        }];
        let text = render(&run, false);
        assert!(
            text.contains("wazo.example.test: hosts file 127.0.1.1; system not asked; DNS none"),
            "{text}"
        );
        assert!(
            text.contains("CAA at example.test: 0 issue \";\"; letsencrypt.org NOT allowed"),
            "{text}"
        );
    }
}
