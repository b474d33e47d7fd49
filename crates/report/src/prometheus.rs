//! Prometheus text exposition format, for node_exporter's textfile collector and for `certscan
//! serve`'s `/probe`: per endpoint its status, whether it was reached, its soonest expiry, the
//! negotiated TLS version, each served certificate (subject, issuer, serial, names, fingerprint,
//! notBefore, notAfter), the stapled and fetched revocation answers and the staple's nextUpdate,
//! and its findings by check id; then the run's status, counts and duration. The names follow
//! what blackbox_exporter and ssl_exporter users alert on (`*_info` series with value 1 carry
//! text as labels). Labels come from the target; times are Unix seconds, so an alert is
//! `certscan_endpoint_expiry_timestamp_seconds - time() < 14 * 86400`.

use std::fmt::Write;

use super::Run;
use certscan_checks::TargetResult;
use certscan_model::status::Status;

/// A label value as the exposition format writes it: backslash, double quote and line feed
/// escaped, and the other control characters written as `\u{..}` text.
fn escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            // The exposition format has no other escapes: other control characters (ESC, CR,
            // BEL from a certificate's subject) are written as text, `\u{1b}`, as in the other
            // reports, with the backslash escaped.
            c if crate::unsafe_char(c) => out.push_str(&format!("\\\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The labels that identify a target, always the same set (empty when not known).
fn target_labels(target: &TargetResult) -> String {
    let port = target.port.map(|p| p.to_string()).unwrap_or_default();
    let protocol = target.protocol.map(|p| p.as_str()).unwrap_or_default();
    [
        ("input", target.input.as_str()),
        ("host", target.host.as_deref().unwrap_or_default()),
        ("port", port.as_str()),
        ("address", target.address.as_deref().unwrap_or_default()),
        ("protocol", protocol),
        ("service", target.service.as_deref().unwrap_or_default()),
        ("file", target.file.as_deref().unwrap_or_default()),
    ]
    .iter()
    .map(|(name, value)| format!("{name}=\"{}\"", escaped(value)))
    .collect::<Vec<_>>()
    .join(",")
}

fn status_value(status: Status) -> u8 {
    status.exit_code()
}

/// One metric family: its HELP and TYPE lines, then its samples.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<String>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, labels: &str, value: impl std::fmt::Display) {
        self.samples.push(format!("{}{{{labels}}} {value}", self.name));
    }

    fn add_plain(&mut self, value: impl std::fmt::Display) {
        self.samples.push(format!("{} {value}", self.name));
    }

    fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} gauge", self.name);
        for sample in &self.samples {
            out.push_str(sample);
            out.push('\n');
        }
    }
}

pub(crate) fn render(run: &Run) -> String {
    let mut out = String::new();
    for family in endpoint_families(run).iter().chain(&run_families(run)) {
        family.write(&mut out);
    }
    out
}

/// The series of each endpoint: status, reached, TLS version, certificates, expiries,
/// revocation answers, the staple's next update, findings.
fn endpoint_families(run: &Run) -> [Family; 10] {
    let mut status = Family::new(
        "certscan_endpoint_status",
        "The endpoint's status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    let mut reached = Family::new(
        "certscan_endpoint_reached",
        "1 when the endpoint (or file) gave a certificate chain, 0 when it could not be reached or gave none (probe_success in blackbox_exporter's terms).",
    );
    let mut tls_version = Family::new(
        "certscan_tls_version_info",
        "The TLS version and cipher suite the endpoint negotiated with certscan, as labels; the value is 1.",
    );
    let mut info = Family::new(
        "certscan_certificate_info",
        "Each certificate the endpoint served, described by its labels (subject, issuer, serial, DNS names, SHA-256 fingerprint); the value is 1. Position 0 is the leaf.",
    );
    let mut not_before = Family::new(
        "certscan_certificate_not_before_timestamp_seconds",
        "When each certificate the endpoint served becomes valid (notBefore), as a Unix time; position 0 is the leaf.",
    );
    let mut revocation = Family::new(
        "certscan_revocation_status_info",
        "The leaf's revocation status by source (staple: the stapled OCSP response; ocsp, crl: what --revocation fetched): good, revoked, unknown, expired, not_yet_valid, invalid or unchecked; the value is 1.",
    );
    let mut soonest = Family::new(
        "certscan_endpoint_expiry_timestamp_seconds",
        "When the first of the certificates the endpoint served expires (the soonest notAfter), as a Unix time.",
    );
    let mut expiry = Family::new(
        "certscan_certificate_expiry_timestamp_seconds",
        "When each certificate the endpoint served expires (notAfter), as a Unix time; position 0 is the leaf.",
    );
    let mut staple = Family::new(
        "certscan_ocsp_staple_next_update_timestamp_seconds",
        "When the OCSP response the endpoint staples must be replaced (its nextUpdate), as a Unix time; only for a good, valid staple.",
    );
    let mut findings = Family::new(
        "certscan_findings",
        "Findings of the endpoint by check id and severity (certscan --explain ID says what each means).",
    );
    for target in &run.targets {
        let labels = target_labels(target);
        status.add(&labels, status_value(target.status));
        reached.add(&labels, u8::from(!target.chain.is_empty()));
        if let Some(tls) = &target.tls {
            tls_version.add(
                &format!(
                    "{labels},version=\"{}\",cipher=\"{}\"",
                    escaped(&tls.version),
                    escaped(&tls.cipher)
                ),
                1,
            );
        }
        let parsed = || target.chain.iter().enumerate().filter(|(_, c)| c.parse_error.is_none());
        if let Some(unix) = parsed().map(|(_, c)| c.not_after_unix).min() {
            soonest.add(&labels, unix);
        }
        for (position, certificate) in parsed() {
            let certificate_labels = format!(
                "{labels},position=\"{position}\",subject=\"{}\",sha256=\"{}\"",
                escaped(&certificate.subject),
                escaped(&certificate.sha256)
            );
            expiry.add(&certificate_labels, certificate.not_after_unix);
            not_before.add(&certificate_labels, certificate.not_before_unix);
            // DNS names between commas, as ssl_exporter writes them, so a regex can match one.
            let dns_names: Vec<&str> = certificate
                .san_entries
                .iter()
                .filter_map(|entry| match entry {
                    certscan_x509::certificate::SanEntry::Dns(name) => Some(name.as_str()),
                    _ => None,
                })
                .collect();
            let dns_names = match dns_names.is_empty() {
                true => String::new(),
                false => format!(",{},", dns_names.join(",")),
            };
            info.add(
                &format!(
                    "{certificate_labels},issuer=\"{}\",serial=\"{}\",dnsnames=\"{}\"",
                    escaped(&certificate.issuer),
                    escaped(&certificate.serial),
                    escaped(&dns_names)
                ),
                1,
            );
        }
        if let Some(view) = &target.revocation {
            let stapled = view.stapled.iter().map(|answer| ("staple", answer.status));
            let live = view.live.iter().map(|l| (l.method.as_str(), l.answer.status));
            for (source, answer) in stapled.chain(live) {
                revocation.add(&format!("{labels},source=\"{source}\",status=\"{answer}\""), 1);
            }
        }
        if let Some(next_update) = staple_next_update(target) {
            staple.add(&labels, next_update);
        }
        for (id, severity, count) in finding_counts(target) {
            findings.add(&format!("{labels},check=\"{id}\",severity=\"{severity}\""), count);
        }
    }
    [
        status,
        reached,
        tls_version,
        soonest,
        info,
        not_before,
        expiry,
        revocation,
        staple,
        findings,
    ]
}

/// When a good stapled OCSP response runs out, as a Unix time.
fn staple_next_update(target: &TargetResult) -> Option<i64> {
    let text = target
        .revocation
        .as_ref()
        .and_then(|r| r.stapled.as_ref())
        .filter(|answer| answer.status == "good")
        .and_then(|answer| answer.next_update.as_deref())?;
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(at.unix_timestamp())
}

/// The endpoint's findings counted by check id and severity, in the order first met.
fn finding_counts(target: &TargetResult) -> Vec<(&'static str, &'static str, usize)> {
    let mut counted: Vec<(&'static str, &'static str, usize)> = Vec::new();
    for finding in &target.findings {
        let (id, severity) = (finding.id.as_str(), finding.severity.as_str());
        match counted.iter_mut().find(|(i, s, _)| *i == id && *s == severity) {
            Some(entry) => entry.2 += 1,
            None => counted.push((id, severity, 1)),
        }
    }
    counted
}

/// The run's own series: status, endpoints by status, evaluation time, duration.
fn run_families(run: &Run) -> [Family; 4] {
    let mut run_status = Family::new(
        "certscan_run_status",
        "The run's status, the worst over its endpoints: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    );
    run_status.add_plain(status_value(run.status()));
    let mut endpoints = Family::new("certscan_run_endpoints", "Endpoints of the run by status.");
    let summary = run.summary();
    for (name, count) in [
        ("ok", summary.ok),
        ("warning", summary.warning),
        ("critical", summary.critical),
        ("unknown", summary.unknown),
    ] {
        endpoints.add(&format!("status=\"{name}\""), count);
    }
    let mut evaluated = Family::new(
        "certscan_run_evaluated_timestamp_seconds",
        "The instant the checks were evaluated at (--at, else the start), as a Unix time.",
    );
    if let Ok(at) = time::OffsetDateTime::parse(&run.evaluated_at, &time::format_description::well_known::Rfc3339) {
        evaluated.add_plain(at.unix_timestamp());
    }
    let mut duration = Family::new(
        "certscan_run_duration_seconds",
        "How long the run took, probes, lookups and analysis together.",
    );
    if let Some(seconds) = run.duration_seconds {
        duration.add_plain(format!("{seconds:.3}"));
    }
    [run_status, endpoints, evaluated, duration]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escaped("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        // Raw ESC, CR and BEL never reach the scrape: no terminal escape, no broken line.
        let subject = escaped("CN=\u{1b}[31mevil\r\u{7}");
        assert_eq!(subject, "CN=\\\\u{1b}[31mevil\\\\u{d}\\\\u{7}");
        assert!(!subject.chars().any(|c| c.is_control()));
    }
}
