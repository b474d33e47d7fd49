//! The human-readable report: an overview with one line per endpoint (verdict, days left, worst
//! finding), then the details of every endpoint that is not OK (TLS parameters, the chain, the
//! findings worst first with what was found, how to fix it and the command that explains it),
//! and a summary line. `--verbose` shows the details of every endpoint and the INFO findings.
//! Lines fit the width; a word longer than a line (a path, a command) is never split.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::{Run, printable};
use certscan_checks::TargetResult;
use certscan_model::finding::Finding;
use certscan_model::status::{Severity, Status};
use certscan_x509::certificate::CertInfo;

/// Width used when the output is not a terminal and COLUMNS is not set.
pub(crate) const DEFAULT_WIDTH: u16 = 120;
/// Narrower than this, a reported width is not believed.
const MIN_WIDTH: u16 = 60;

/// How the table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub color: bool,
    /// Columns available, the indentation included.
    pub width: u16,
    /// Details of every endpoint and the INFO findings.
    pub verbose: bool,
}

/// The width to use: the terminal's when it is one, else COLUMNS, else [`DEFAULT_WIDTH`];
/// implausible values are not believed.
pub fn width_for(terminal_columns: Option<u16>, columns_variable: Option<&str>) -> u16 {
    terminal_columns
        .filter(|w| *w >= MIN_WIDTH)
        .or_else(|| {
            columns_variable
                .and_then(|c| c.trim().parse::<u16>().ok())
                .filter(|w| *w >= MIN_WIDTH)
        })
        .unwrap_or(DEFAULT_WIDTH)
}

fn status_color(status: Status) -> Color {
    match status {
        Status::Ok => Color::Green,
        Status::Warning => Color::Yellow,
        Status::Critical => Color::Red,
        Status::Unknown => Color::Magenta,
    }
}

/// A table exactly `width` columns wide at most, whose columns are never narrower than the
/// longest word in them (so no word is split), as far as the width allows.
fn new_table(color: bool, width: u16) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_width(width);
    table
}

/// Keeps each column at least as wide as its longest word (header included), when all of them
/// fit the width together; a table that cannot keep every word whole in that width is left to
/// split them rather than overflow.
fn keep_words_whole(table: &mut Table, header: &[&str], rows: &[Vec<String>], width: u16) {
    let columns = header.len();
    let longest: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column).map(String::as_str))
                .chain(std::iter::once(header[column]))
                .flat_map(str::split_whitespace)
                .map(|word| word.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Each column has one space of padding on each side, and a border before it and after
    // the last.
    let needed: usize = longest.iter().map(|w| w + 2).sum::<usize>() + columns + 1;
    if needed > width as usize {
        return;
    }
    for (column, longest) in longest.into_iter().enumerate() {
        if let Some(c) = table.column_mut(column) {
            c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(longest as u16 + 2)));
        }
    }
}

fn paint(text: String, status: Status, color: bool) -> Cell {
    let cell = Cell::new(text);
    if color { cell.fg(status_color(status)) } else { cell }
}

/// Wraps text at spaces to `width` columns: the first line after `first`, the others after
/// `next` (both count toward the width). A word that does not fit after the prefix (a path, a
/// command) gets a line of its own, whole, indented as far as the width allows. Line breaks in
/// the text are kept, and so is the indentation a line starts with (a YAML or nginx snippet in
/// a fix), on that line and on those it wraps onto.
/// The programs whose command lines the fixes quote: a command from one of these names to the
/// word that closes it (a `)`, `;` or `,`, or a `.` ending the sentence) is kept on one line.
const COMMANDS: &[&str] = &[
    "cat",
    "certbot",
    "certscan",
    "chmod",
    "chown",
    "cp",
    "curl",
    "install",
    "keytool",
    "ln",
    "nginx",
    "openssl",
    "python3",
    "sudo",
    "systemctl",
    "wazo-auth-cli",
];

/// The units the wrap keeps whole: words, and the quoted command lines of [`COMMANDS`] (which
/// a line break would make wrong to paste).
fn units(paragraph: &str) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut command: Option<String> = None;
    for word in paragraph.split_whitespace() {
        // A parenthesis opens an aside: the run before it ends there.
        if word.starts_with('(') {
            units.extend(command.take());
        }
        if let Some(open) = command.as_mut() {
            open.push(' ');
            open.push_str(word);
            if word.ends_with([')', ';', ',']) || word.ends_with('.') {
                units.extend(command.take());
            }
            continue;
        }
        let name = word.trim_start_matches(['(', '`', '\'']);
        if COMMANDS.contains(&name) {
            command = Some(word.to_string());
        } else {
            units.push(word.to_string());
        }
    }
    // An unclosed run at the paragraph's end is prose, not a quoted command.
    if let Some(open) = command {
        units.extend(open.split(' ').map(str::to_string));
    }
    // A run without an option, a path or a redirection is prose that named a program, and one
    // longer than any line is too: words again.
    let command_like = |unit: &str| {
        unit.len() <= MAX_COMMAND
            && unit
                .split(' ')
                .skip(1)
                .any(|w| w.starts_with('-') || w.contains('/') || w.contains('>') || w.contains('|'))
    };
    units
        .into_iter()
        .flat_map(|unit| match unit.contains(' ') && !command_like(&unit) {
            true => unit.split(' ').map(str::to_string).collect(),
            false => vec![unit],
        })
        .collect()
}

/// The longest command line kept whole.
const MAX_COMMAND: usize = 160;

pub(crate) fn wrap(text: &str, first: &str, next: &str, width: usize) -> String {
    let mut out = String::new();
    let mut prefix = first;
    for paragraph in text.split('\n') {
        let indent = &paragraph[..paragraph.len() - paragraph.trim_start_matches(' ').len()];
        let indent_len = indent.len();
        let mut line = String::from(indent);
        let mut words_on_line = 0;
        let mut emitted = false;
        for word in units(paragraph) {
            let word = word.as_str();
            let word_len = word.chars().count();
            let room = width.saturating_sub(prefix.chars().count());
            let line_len = line.chars().count();
            if word_len + indent_len > room {
                // Alone on a line, pulled left as far as needed; the prefix's label (if any)
                // keeps its own line.
                if words_on_line > 0 || !prefix.trim().is_empty() {
                    out.push_str(prefix);
                    out.push_str(line.trim_end());
                    out.push('\n');
                }
                line = String::from(indent);
                words_on_line = 0;
                let indent = next.chars().count().min(width.saturating_sub(word_len));
                out.push_str(&" ".repeat(indent));
                out.push_str(word);
                out.push('\n');
                prefix = next;
                emitted = true;
                continue;
            }
            if words_on_line > 0 && line_len + 1 + word_len > room {
                out.push_str(prefix);
                out.push_str(&line);
                out.push('\n');
                prefix = next;
                line = String::from(indent);
                words_on_line = 0;
            }
            if words_on_line > 0 {
                line.push(' ');
            }
            line.push_str(word);
            words_on_line += 1;
        }
        if words_on_line > 0 || !emitted {
            out.push_str(prefix);
            out.push_str(if words_on_line > 0 { &line } else { "" });
            out.push('\n');
        }
        prefix = next;
    }
    out
}

/// The endpoint as the overview and the details name it.
fn heading(target: &TargetResult) -> String {
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
    heading
}

/// The findings a layout shows: all with `--verbose`, else all but INFO.
fn shown(target: &TargetResult, verbose: bool) -> impl Iterator<Item = &Finding> {
    target
        .findings
        .iter()
        .filter(move |f| verbose || f.severity != Severity::Info)
}

/// One line per endpoint: what it is, its verdict, days left, and its worst finding.
fn overview(run: &Run, layout: Layout) -> String {
    let mut table = new_table(layout.color, layout.width);
    let header = ["Endpoint", "Verdict", "Days left", "Worst finding"];
    table.set_header(header.to_vec());
    let mut rows = Vec::new();
    for target in &run.targets {
        let mut findings = shown(target, layout.verbose);
        let worst = match findings.next() {
            None => "-".to_string(),
            Some(first) => {
                let more = findings.count();
                if more > 0 {
                    format!("{} (+{more})", first.id)
                } else {
                    first.id.to_string()
                }
            }
        };
        let days = target.days_left.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
        // A file by its name: its whole path heads its details.
        let name = match &target.file {
            Some(path) if target.host.is_none() => std::path::Path::new(path)
                .file_name()
                .map_or_else(|| heading(target), |n| printable(&n.to_string_lossy()).into_owned()),
            _ => heading(target),
        };
        rows.push(vec![name, target.status.label().to_string(), days, worst]);
    }
    keep_words_whole(&mut table, &header, &rows, layout.width);
    for (row, target) in rows.into_iter().zip(&run.targets) {
        let [endpoint, verdict, days, worst]: [String; 4] = row.try_into().unwrap_or_default();
        table.add_row(vec![
            Cell::new(endpoint),
            paint(verdict, target.status, layout.color),
            Cell::new(days),
            Cell::new(worst),
        ]);
    }
    format!("{table}\n")
}

pub(crate) fn render(run: &Run, layout: Layout) -> String {
    let mut out = String::new();
    if !run.targets.is_empty() {
        out.push_str(&overview(run, layout));
    }
    // Details: every endpoint with --verbose or when there is only one, else those not OK.
    let all = layout.verbose || run.targets.len() == 1;
    for target in run.targets.iter().filter(|t| all || t.status != Status::Ok) {
        out.push('\n');
        out.push_str(&render_target(target, layout));
    }
    out.push('\n');
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
    let headline = wrap(&headline, "", "  ", layout.width as usize);
    out.push_str(&if layout.color {
        headline
            .lines()
            .map(|line| format!("{}\n", paint_text(line, status)))
            .collect()
    } else {
        headline
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

/// One endpoint's details: its heading, what the connection and the lookups saw, the chain,
/// then the findings.
fn render_target(target: &TargetResult, layout: Layout) -> String {
    let mut out = target_heading(target, layout);
    for line in connection_lines(target).into_iter().chain(lookup_lines(target)) {
        out.push_str(&detail_line(&line, layout.width));
    }
    if !target.chain.is_empty() {
        out.push_str(&chain_table(target, layout));
    }
    out.push_str(&findings_text(target, layout));
    out
}

/// The endpoint and its status, the status painted where the wrapped text put it.
fn target_heading(target: &TargetResult, layout: Layout) -> String {
    let status = target.status.label();
    let heading = wrap(
        &format!("{}  {status}", heading(target)),
        "",
        "  ",
        layout.width as usize,
    );
    match heading.rfind(status) {
        Some(at) if layout.color => format!(
            "{}{}{}",
            &heading[..at],
            paint_text(status, target.status),
            &heading[at + status.len()..]
        ),
        _ => heading,
    }
}

/// What the connection saw: TLS parameters, the protocol exchange, OCSP and revocation, and the
/// files read.
fn connection_lines(target: &TargetResult) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(tls) = &target.tls {
        let mut line = format!("{} {}", tls.version, tls.cipher);
        if let Some(group) = &tls.group {
            line.push_str(&format!(", group {group}"));
        }
        if let Some(alpn) = &tls.alpn {
            line.push_str(&format!(", ALPN {alpn}"));
        }
        lines.push(line);
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
        lines.push(format!("{} -> {answer}{server}", exchange.request));
    }
    lines.extend(clients_line(target));
    lines.extend(sip_lines(target));
    lines.extend(revocation_line(target));
    for file in &target.files {
        lines.push(format!(
            "{} {}: mode {}, owner {}, group {}",
            file.role, file.path, file.mode, file.uid, file.gid
        ));
    }
    lines
}

/// Which client families connect, worst first: "clients: fail Safari, curl, OpenSSL; work ...".
fn clients_line(target: &TargetResult) -> Option<String> {
    use certscan_checks::clients::Outcome;
    if target.chain.is_empty() || target.clients.is_empty() {
        return None;
    }
    // On a SIPS port the name is judged by the SIP clients' rules, on a line of its own.
    let label = match target.sip.as_ref().is_some_and(|sip| !sip.identity.is_empty()) {
        true => "clients (the name aside, see SIP identity)",
        false => "clients",
    };
    if target.clients.iter().all(|c| c.outcome == Outcome::Works) {
        return Some(format!("{label}: all families work"));
    }
    let parts: Vec<String> = [
        (Outcome::Fails, "fail"),
        (Outcome::Unknown, "not known"),
        (Outcome::Degraded, "degraded"),
        (Outcome::Works, "work"),
    ]
    .iter()
    .filter_map(|(outcome, said)| {
        let names: Vec<&str> = target
            .clients
            .iter()
            .filter(|c| c.outcome == *outcome)
            .map(|c| c.family.name.as_str())
            .collect();
        (!names.is_empty()).then(|| format!("{said}: {}", names.join(", ")))
    })
    .collect();
    Some(format!("{label}: {}", parts.join("; ")))
}

/// How a SIP domain led to the endpoint, and which SIP clients accept its certificate for the
/// domain: "found: SRV _sips._tcp.example.com: 10 60 5061 sbc1.example.com (this endpoint)",
/// "SIP identity example.com: accepted by pjsip; refused by Avaya 96xx phones".
fn sip_lines(target: &TargetResult) -> Vec<String> {
    let Some(sip) = &target.sip else {
        return vec![];
    };
    let mut lines: Vec<String> = sip.path.iter().map(|step| format!("found: {step}")).collect();
    if sip.identity.is_empty() {
        return lines;
    }
    let parts: Vec<String> = [
        (Some(false), "refused by"),
        (None, "not known"),
        (Some(true), "accepted by"),
    ]
    .iter()
    .filter_map(|(accepts, said)| {
        let names: Vec<&str> = sip
            .identity
            .iter()
            .filter(|v| v.accepts == *accepts)
            .map(|v| v.name.as_str())
            .collect();
        (!names.is_empty()).then(|| format!("{said} {}", names.join(", ")))
    })
    .collect();
    lines.push(format!("SIP identity {}: {}", sip.domain, parts.join("; ")));
    lines
}

/// The OCSP staple and the `--revocation` answers, when there is anything to say.
fn revocation_line(target: &TargetResult) -> Option<String> {
    let revocation = target.revocation.as_ref()?;
    let stapled = match &revocation.stapled {
        Some(answer) => {
            let until = answer
                .next_update
                .as_ref()
                .map(|n| format!(" until {n}"))
                .unwrap_or_default();
            Some(format!("OCSP staple: {}{until}", answer.status.replace('_', " ")))
        }
        None if revocation.must_staple => Some("OCSP staple: none (must-staple)".to_string()),
        None => None,
    };
    let live = revocation
        .live
        .iter()
        .map(|l| format!("{}: {}", l.method.as_str(), l.answer.status.replace('_', " ")));
    let parts: Vec<String> = stapled.into_iter().chain(live).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The names checked, how they resolve, and what CAA says of them.
fn lookup_lines(target: &TargetResult) -> Vec<String> {
    let mut lines = Vec::new();
    if !target.names_checked.is_empty() {
        lines.push(format!("names checked: {}", target.names_checked.join(", ")));
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
        lines.push(format!(
            "{}: hosts file {hosts}; system {}; DNS {}",
            r.name,
            view(&r.system, &r.system_error),
            view(&r.dns, &r.dns_error)
        ));
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
        lines.push(format!("{}: {at}; {who} {verdict}", c.name));
    }
    lines
}

/// The served chain as a table: subject and issuer, SANs, expiry, key and signature.
fn chain_table(target: &TargetResult, layout: Layout) -> String {
    let table_width = layout.width.saturating_sub(2);
    let mut chain = new_table(layout.color, table_width);
    let header = ["#", "Subject / Issuer", "SANs", "Expires", "Key / Signature"];
    chain.set_header(header.to_vec());
    let rows: Vec<Vec<String>> = target
        .chain
        .iter()
        .enumerate()
        .map(|(i, cert)| chain_row(i, cert))
        .collect();
    keep_words_whole(&mut chain, &header, &rows, table_width);
    for (row, cert) in rows.into_iter().zip(&target.chain) {
        let expired = cert.parse_error.is_none() && cert.days_left < 0;
        let cells: Vec<Cell> = row
            .into_iter()
            .enumerate()
            .map(|(column, text)| match column {
                3 => paint(text, Status::Critical, layout.color && expired),
                _ => Cell::new(text),
            })
            .collect();
        chain.add_row(cells);
    }
    indent(&chain.to_string())
}

/// One certificate's row of the chain table.
fn chain_row(i: usize, cert: &CertInfo) -> Vec<String> {
    if let Some(error) = &cert.parse_error {
        return vec![
            i.to_string(),
            format!("unparsable: {}", printable(error)),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    let issuer = if cert.self_signed {
        "(self-signed)".into()
    } else {
        printable(&cert.issuer)
    };
    let sans: Vec<String> = cert.sans.iter().map(|s| printable(s).into_owned()).collect();
    vec![
        i.to_string(),
        format!("{}\nissuer: {issuer}", printable(&cert.subject)),
        sans.join("\n"),
        // The day in the table (the instant is in the JSON report), and the days left.
        format!(
            "{}\n{} days",
            cert.not_after.split('T').next().unwrap_or_default(),
            cert.days_left
        ),
        format!(
            "{} {}\n{}",
            cert.key.kind,
            cert.key.bits.map(|b| b.to_string()).unwrap_or_default(),
            cert.signature_algorithm
        ),
    ]
}

/// The findings shown (worst first), each with what was found, the fix and where to read why;
/// then how many INFO findings `--verbose` would show.
fn findings_text(target: &TargetResult, layout: Layout) -> String {
    let width = layout.width as usize;
    let mut out = String::new();
    let findings: Vec<&Finding> = shown(target, layout.verbose).collect();
    if findings.is_empty() {
        out.push_str("  no findings\n");
    }
    for finding in findings {
        let status = match finding.severity {
            Severity::Info => Status::Ok,
            other => other.status(),
        };
        let severity = format!("{:<8}", finding.severity.as_str().to_uppercase());
        let first = format!("  {severity} ");
        let title = wrap(
            &format!("{}: {}", finding.id, finding.title()),
            &first,
            "           ",
            width,
        );
        // Colour codes take no columns: wrapped as plain text, then painted.
        out.push_str(&if layout.color {
            title.replacen(&severity, &paint_text(&severity, status), 1)
        } else {
            title
        });
        out.push_str(&wrap(
            &printable(&finding.detail),
            "      found  ",
            "             ",
            width,
        ));
        out.push_str(&wrap(
            &super::printable_lines(finding.remediation()),
            "      fix    ",
            "             ",
            width,
        ));
        // Commands are pasted into a shell: never wrapped, whatever the width.
        for command in &finding.commands {
            out.push_str(&format!("      try    {}\n", printable(command)));
        }
        out.push_str(&format!("      why    certscan --explain {}\n", finding.id));
    }
    let hidden = target.findings.len() - shown(target, layout.verbose).count();
    if hidden > 0 {
        out.push_str(&format!(
            "  ({hidden} INFO finding(s) not shown: --verbose shows them)\n"
        ));
    }
    out
}

/// A line of the details, indented, wrapped to the width.
fn detail_line(text: &str, width: u16) -> String {
    wrap(&printable(text), "  ", "      ", width as usize)
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use certscan_checks::TargetResult;
    use certscan_model::finding::{CheckId, Finding};

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
            thresholds: Default::default(),
            targets: vec![],
            tally: Default::default(),
            duration_seconds: None,
        };
        run.add(target, true);
        run
    }

    fn layout(color: bool) -> Layout {
        Layout {
            color,
            width: 100,
            verbose: false,
        }
    }

    #[test]
    fn the_terminal_width_wins_and_implausible_widths_fall_back() {
        assert_eq!(width_for(Some(90), Some("200")), 90);
        assert_eq!(width_for(Some(0), Some("200")), 200);
        assert_eq!(width_for(None, Some("0")), DEFAULT_WIDTH);
        assert_eq!(width_for(None, Some("wide")), DEFAULT_WIDTH);
        assert_eq!(width_for(None, None), DEFAULT_WIDTH);
    }

    #[test]
    fn wrapping_keeps_a_snippets_indentation() {
        let fix = "Write in custom.yml:\n  auth:\n    host: wazo.example.com\nthen restart.";
        let wrapped = wrap(fix, "  fix ", "      ", 80);
        assert_eq!(
            wrapped,
            "  fix Write in custom.yml:\n        auth:\n          host: wazo.example.com\n      then restart.\n"
        );
        // A long indented line wraps onto lines indented as deep.
        let long = format!("    {}", ["word"; 20].join(" "));
        for line in wrap(&long, "", "", 40).lines() {
            assert!(line.starts_with("    word"), "{line:?}");
        }
    }

    #[test]
    fn wrapping_keeps_a_quoted_command_on_one_line() {
        let text = "or append the intermediate to /etc/ssl/site.pem (cat /etc/ssl/site.pem intermediate.pem > fullchain.pem). Then reload.";
        let wrapped = wrap(text, "fix ", "    ", 60);
        assert!(
            wrapped
                .lines()
                .any(|l| l.trim() == "(cat /etc/ssl/site.pem intermediate.pem > fullchain.pem)."),
            "{wrapped}"
        );
        assert!(wrapped.lines().all(|l| l.chars().count() <= 60), "{wrapped}");
        // Prose that only names a program is wrapped as words.
        let prose = "renew with certbot and then restart the service so that it reads the new files which it only reads at start";
        assert!(wrap(prose, "", "", 40).lines().all(|l| l.chars().count() <= 40));
        // Prose that names a program, then an aside in parentheses: words, kept in the margin.
        let aside = "Serve the full chain. With certbot use fullchain.pem (nginx: ssl_certificate /etc/letsencrypt/live/NAME/fullchain.pem;). Otherwise append it.";
        let wrapped = wrap(aside, "  fix ", "      ", 80);
        assert!(
            wrapped
                .lines()
                .all(|l| l.starts_with("  fix ") || l.starts_with("      ")),
            "{wrapped}"
        );
        assert!(wrapped.lines().all(|l| l.chars().count() <= 80), "{wrapped}");
    }

    #[test]
    fn wrapping_never_splits_a_word() {
        let long = "/etc/letsencrypt/live/a-very-long-name.example.com/fullchain.pem";
        let text = format!("append the intermediate to {long} and reload");
        let wrapped = wrap(&text, "  fix ", "      ", 30);
        assert!(wrapped.lines().any(|l| l.trim() == long), "{wrapped}");
        for line in wrapped.lines().filter(|l| !l.contains(long)) {
            assert!(line.chars().count() <= 30, "{line:?}");
        }
        assert_eq!(wrap("a b\nc", "> ", "  ", 80), "> a b\n  c\n");
        // Too long for the room after the label, not for the line: alone, pulled left.
        let path = "/".repeat(25);
        assert_eq!(wrap(&path, "  fix  ", "       ", 30), format!("  fix  \n     {path}\n"));
    }

    #[test]
    fn colour_codes_appear_only_when_asked_for() {
        let run = run_with_one_finding();
        let plain = render(&run, layout(false));
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(plain.contains("connection.refused") && plain.contains("example.test:443 (192.0.2.1)"));
        assert!(plain.trim_end().ends_with("(evaluated at 2030-01-01T00:00:00Z)"));
        assert!(render(&run, layout(true)).contains("\x1b[31m"));
    }

    #[test]
    fn resolutions_and_caa_verdicts_are_shown() {
        let mut run = run_with_one_finding();
        run.targets[0].resolution = vec![certscan_checks::resolution::ResolutionView {
            name: "wazo.example.test".into(),
            hosts_file: vec!["127.0.1.1".into()],
            system: None,
            system_error: None,
            dns: Some(vec![]),
            dns_error: None,
        }];
        run.targets[0].caa = vec![certscan_checks::caa::CaaReport {
            name: "wazo.example.test".into(),
            found_at: Some("example.test".into()),
            records: vec![certscan_checks::caa::CaaRecordView {
                flags: 0,
                tag: "issue".into(),
                value: ";".into(),
            }],
            issuer_domains: vec!["letsencrypt.org".into()],
            permitted: Some(false),
        }];
        let text = render(&run, layout(false));
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
