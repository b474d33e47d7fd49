//! The manual page: the sections clap_mangen writes from the flags (NAME, SYNOPSIS, DESCRIPTION,
//! OPTIONS, SUBCOMMANDS, VERSION), and certscan's own EXIT STATUS and EXAMPLES, whose commands are
//! set as literal lines that are neither filled nor hyphenated.

use clap::CommandFactory;

use super::args::Args;

/// The examples of the page: what each does, and the command.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "Every TLS port of a host, probed at once:",
        "certscan wazo.example.com:443,9497",
    ),
    (
        "The servers of a SIP domain, found through NAPTR and SRV as SIP clients find them, each checked against the domain:",
        "certscan sips:example.com",
    ),
    (
        "A CI gate over a list of targets (exit 1 on warnings, 2 on critical findings):",
        "certscan --format json -f targets.txt > report.json",
    ),
    (
        "A Nagios or Icinga check with perfdata, warning under 30 days and critical under 14:",
        "certscan --format nagios -t 50 -w 30 -c 14 kazoo.example.com:8443",
    ),
    (
        "A certificate file before it is deployed, for the name the services use:",
        "certscan --file /usr/share/xivo-certs/server.crt --name wazo.example.com",
    ),
    (
        "A Prometheus exporter for the targets its configuration allows:",
        "certscan serve --listen 127.0.0.1:9784 --config /etc/certscan/exporter.toml",
    ),
    (
        "What a finding means, and how to fix it:",
        "certscan --explain chain.incomplete",
    ),
];

/// The exit statuses, as the Nagios plugin guidelines define them.
const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "OK: every endpoint and file passed."),
    (
        "1",
        "WARNING: the worst finding is a warning (an expiry within -w days, a missing intermediate, ...).",
    ),
    (
        "2",
        "CRITICAL: a finding clients fail on (an expired or untrusted certificate, a name mismatch, a refused port); CRITICAL outranks UNKNOWN, so a check that could not run on one endpoint never hides an expired certificate on another.",
    ),
    (
        "3",
        "UNKNOWN: a check could not be completed (a timeout, a lookup that failed), or a usage error (a bad flag, a malformed target, an unreadable file), said before anything is probed.",
    ),
];

/// Text as roff reads it: backslashes and hyphens escaped, a leading dot or quote kept literal.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.starts_with(['.', '\'']) {
        true => format!("\\&{escaped}"),
        false => escaped,
    }
}

/// The whole page, as roff.
pub(crate) fn page() -> Result<String, std::io::Error> {
    let man = clap_mangen::Man::new(Args::command());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    let mut own = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in EXIT_STATUS {
        own.push_str(&format!(".TP\n.B {code}\n{}\n", roff(meaning)));
    }
    own.push_str(".SH EXAMPLES\n");
    for (what, command) in EXAMPLES {
        own.push_str(&format!(
            ".PP\n{}\n.PP\n.RS 4\n.nf\n.nh\n{}\n.hy\n.fi\n.RE\n",
            roff(what),
            roff(command)
        ));
    }
    page.extend_from_slice(own.as_bytes());
    man.render_version_section(&mut page)?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}
