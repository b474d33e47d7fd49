//! CAA (RFC 8659): which names of a leaf to look up, which CA issued it, and whether the
//! relevant RRset allows that CA to issue for each name.

use std::sync::OnceLock;

use serde::Deserialize;

use super::names::valid_presented_dns;
use certscan_model::evidence::{CaaLookup, CaaOutcome, CaaRecord};
use certscan_model::finding::{CheckId, Finding};
use certscan_x509::certificate::{CertInfo, SanEntry};

/// Property tags RFC 8659 and its extensions define; a critical record with any other tag
/// forbids issuance.
const KNOWN_TAGS: &[&str] = &[
    "issue",
    "issuewild",
    "iodef",
    "contactemail",
    "contactphone",
    "issuemail",
    "issuevmc",
];

/// Names under these suffixes never have public CAA records (RFC 6761, 6762, 8375).
const SPECIAL_USE: &[&str] = &[
    "localhost",
    "test",
    "example",
    "invalid",
    "local",
    "home.arpa",
    "internal",
    "onion",
];

#[derive(Debug, Deserialize)]
struct IssuerFile {
    ca: Vec<KnownCa>,
}

#[derive(Debug, Deserialize)]
struct KnownCa {
    name: String,
    #[serde(rename = "match")]
    patterns: Vec<String>,
    domains: Vec<String>,
}

fn known_cas() -> &'static [KnownCa] {
    static CAS: OnceLock<Vec<KnownCa>> = OnceLock::new();
    CAS.get_or_init(|| {
        let text = include_str!("../../../checks/data/caa-issuers.toml");
        toml::from_str::<IssuerFile>(text)
            .expect("checks/data/caa-issuers.toml parses (tested)")
            .ca
    })
}

/// The CA that issued the leaf, and its CAA issuer domains, from the issuer's name.
pub(crate) fn issuer_domains(leaf: &CertInfo) -> Option<(&'static str, Vec<String>)> {
    let issuer = leaf.issuer.to_ascii_lowercase();
    known_cas()
        .iter()
        .find(|ca| ca.patterns.iter().any(|p| issuer.contains(&p.to_ascii_lowercase())))
        .map(|ca| (ca.name.as_str(), ca.domains.clone()))
}

/// The leaf's DNS names that can have public CAA records: SAN DNS names (the CN when there is
/// no SAN), without special-use and single-label names. None for a self-signed leaf unless the
/// user names the CA to ask about.
pub fn names_to_look_up(leaf: &CertInfo, issuer_given: bool) -> Vec<String> {
    if !leaf.parsed() || (leaf.self_signed && !issuer_given) {
        return vec![];
    }
    let mut names: Vec<String> = leaf
        .san_entries
        .iter()
        .filter_map(|san| match san {
            SanEntry::Dns(name) => Some(name.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    if !leaf.has_san_extension {
        names.extend(leaf.common_names.iter().map(|cn| cn.to_ascii_lowercase()));
    }
    let mut wanted = Vec::new();
    for name in names {
        let base = name.strip_prefix("*.").unwrap_or(&name);
        let special = SPECIAL_USE
            .iter()
            .any(|s| base == *s || base.ends_with(&format!(".{s}")));
        if valid_presented_dns(&name) && base.contains('.') && !special && !wanted.contains(&name) {
            wanted.push(name);
        }
    }
    wanted
}

/// One CAA record as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaaRecordView {
    pub flags: u8,
    pub tag: String,
    pub value: String,
}

/// The CAA verdict for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaaReport {
    pub name: String,
    pub found_at: Option<String>,
    pub records: Vec<CaaRecordView>,
    /// The CAA identifiers checked (the issuing CA's, or `--caa-issuer`).
    pub issuer_domains: Vec<String>,
    /// Whether those CAs may issue; null when the lookup failed or the CA is not known.
    pub permitted: Option<bool>,
}

/// An `issue`/`issuewild` value (RFC 8659 section 4.2): the issuer domain, `None` for a value
/// that names no CA (such as `;`), or why the value is malformed.
pub fn parse_issue_value(value: &[u8]) -> Result<Option<String>, String> {
    let text = std::str::from_utf8(value).map_err(|_| "the value is not text".to_string())?;
    let (domain, parameters) = match text.split_once(';') {
        Some((domain, rest)) => (domain, Some(rest)),
        None => (text, None),
    };
    let domain = domain.trim_matches([' ', '\t']);
    if !domain.is_empty() && !domain.split('.').all(valid_caa_label) {
        return Err(format!("{domain:?} is not an issuer domain name"));
    }
    for parameter in parameters.unwrap_or("").split(';').map(|p| p.trim_matches([' ', '\t'])) {
        if parameter.is_empty() {
            continue;
        }
        let (tag, value) = parameter
            .split_once('=')
            .ok_or_else(|| format!("parameter {parameter:?} has no '='"))?;
        let (tag, value) = (tag.trim_matches([' ', '\t']), value.trim_matches([' ', '\t']));
        if !valid_caa_label(tag) || !value.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b';') {
            return Err(format!("parameter {parameter:?} is malformed"));
        }
    }
    Ok((!domain.is_empty()).then(|| domain.to_ascii_lowercase()))
}

/// `(ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT))`
fn valid_caa_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

fn view(record: &CaaRecord) -> CaaRecordView {
    CaaRecordView {
        flags: record.flags,
        tag: record.tag.clone(),
        value: String::from_utf8_lossy(&record.value).into_owned(),
    }
}

fn describe(record: &CaaRecord) -> String {
    format!(
        "{} {} \"{}\"",
        record.flags,
        record.tag,
        String::from_utf8_lossy(&record.value)
    )
}

/// Applies RFC 8659 to one lookup. `issuers` are the CAA identifiers of the CA in question
/// (empty when it is not known).
pub(crate) fn evaluate(lookup: &CaaLookup, issuers: &[String]) -> (CaaReport, Vec<Finding>) {
    let name = &lookup.name;
    let mut report = CaaReport {
        name: name.clone(),
        found_at: None,
        records: vec![],
        issuer_domains: issuers.to_vec(),
        permitted: None,
    };
    let example = issuers.first().map_or("letsencrypt.org", String::as_str);
    let (at, records) = match &lookup.outcome {
        CaaOutcome::Failed { error } => {
            let failed = Finding::new(
                CheckId::CaaLookupFailed,
                format!("the CAA lookup for {name} failed: {error}"),
            );
            return (report, vec![failed]);
        }
        CaaOutcome::NotFound => {
            report.permitted = Some(true);
            return (report, vec![missing(name, example)]);
        }
        CaaOutcome::Found { at, records } => (at, records),
    };
    report.found_at = Some(at.clone());
    report.records = records.iter().map(view).collect();
    if let Some(finding) = critical_unknown(name, at, records) {
        report.permitted = Some(false);
        return (report, vec![finding]);
    }
    let relevant = relevant_records(name, records);
    // RFC 8659 section 4: a malformed issue or issuewild value is an error wherever it stands in
    // the RRset, also when it does not decide for this name.
    let elsewhere = malformed_elsewhere(name, at, records, &relevant, example);
    if relevant.is_empty() {
        report.permitted = Some(true);
        return (report, elsewhere);
    }
    let (allowed, mut findings) = allowed_domains(at, &relevant, example);
    findings.extend(elsewhere);
    report.permitted = if allowed.is_empty() {
        Some(false)
    } else if issuers.is_empty() {
        None
    } else {
        Some(
            issuers
                .iter()
                .any(|issuer| allowed.iter().any(|a| a.eq_ignore_ascii_case(issuer))),
        )
    };
    if report.permitted == Some(false) {
        findings.push(forbids(name, at, &relevant, issuers, example));
    }
    (report, findings)
}

/// `caa.missing`: no RRset applies to the name.
fn missing(name: &str, example: &str) -> Finding {
    let base = name.strip_prefix("*.").unwrap_or(name);
    Finding::new(CheckId::CaaMissing, format!("no CAA record applies to {name}: every CA may issue for it"))
        .with_remediation(format!(
            "Publish a CAA record that allows only the CA you use, e.g. {base}. IN CAA 0 issue \"{example}\" (at the zone apex it covers every name below)."
        ))
}

/// A critical property no CA understands forbids every CA (RFC 8659 section 4.1).
fn critical_unknown(name: &str, at: &str, records: &[CaaRecord]) -> Option<Finding> {
    let critical: Vec<&CaaRecord> = records
        .iter()
        .filter(|r| r.flags & 0x80 != 0 && !KNOWN_TAGS.iter().any(|t| r.tag.eq_ignore_ascii_case(t)))
        .collect();
    if critical.is_empty() {
        return None;
    }
    let listed: Vec<String> = critical.iter().map(|r| describe(r)).collect();
    Some(Finding::new(
        CheckId::CaaCriticalUnknown,
        format!(
            "the CAA RRset at {at} has a critical property no CA understands ({}): no CA may issue for {name}",
            listed.join(", ")
        ),
    ))
}

/// The records that decide: `issuewild` for a wildcard name when there are any, else `issue`.
fn relevant_records<'a>(name: &str, records: &'a [CaaRecord]) -> Vec<&'a CaaRecord> {
    let tagged = |tag: &str| {
        records
            .iter()
            .filter(|r| r.tag.eq_ignore_ascii_case(tag))
            .collect::<Vec<_>>()
    };
    let wildcard_records = tagged("issuewild");
    if name.starts_with("*.") && !wildcard_records.is_empty() {
        wildcard_records
    } else {
        tagged("issue")
    }
}

/// Malformed `issue` and `issuewild` values of the RRset that do not decide for `name` (an
/// `issuewild` record for a name without a wildcard, or `issue` records that `issuewild` ones
/// replace for a wildcard): still errors, for the names they do decide.
fn malformed_elsewhere(
    name: &str,
    at: &str,
    records: &[CaaRecord],
    relevant: &[&CaaRecord],
    example: &str,
) -> Vec<Finding> {
    records
        .iter()
        .filter(|r| r.tag.eq_ignore_ascii_case("issue") || r.tag.eq_ignore_ascii_case("issuewild"))
        .filter(|r| !relevant.iter().any(|decides| std::ptr::eq(*decides, *r)))
        .filter_map(|record| {
            let why = parse_issue_value(&record.value).err()?;
            let covers = match record.tag.eq_ignore_ascii_case("issuewild") {
                true => "wildcard names",
                false => "names without a wildcard",
            };
            Some(
                Finding::new(
                    CheckId::CaaMalformed,
                    format!(
                        "the CAA record {at}. {} is malformed ({why}); it does not decide for {name}, but for {covers} under {at} it authorises no CA",
                        describe(record)
                    ),
                )
                .with_remediation(format!(
                    "Replace it with a well-formed value such as {at}. IN CAA 0 {} \"{example}\".",
                    record.tag.to_ascii_lowercase()
                )),
            )
        })
        .collect()
}

/// The CA domains the relevant records allow; a malformed one allows nobody and is a finding.
fn allowed_domains(at: &str, relevant: &[&CaaRecord], example: &str) -> (Vec<String>, Vec<Finding>) {
    let (mut allowed, mut findings) = (Vec::new(), Vec::new());
    for record in relevant {
        match parse_issue_value(&record.value) {
            Ok(Some(domain)) => allowed.push(domain),
            Ok(None) => {}
            Err(why) => findings.push(
                Finding::new(
                    CheckId::CaaMalformed,
                    format!(
                        "the CAA record {at}. {} is malformed ({why}); it authorises no CA",
                        describe(record)
                    ),
                )
                .with_remediation(format!(
                    "Replace it with a well-formed value such as {at}. IN CAA 0 {} \"{example}\".",
                    record.tag.to_ascii_lowercase()
                )),
            ),
        }
    }
    (allowed, findings)
}

/// `caa.forbids_issuer`: the relevant records allow none of the CAs asked about.
fn forbids(name: &str, at: &str, relevant: &[&CaaRecord], issuers: &[String], example: &str) -> Finding {
    let listed: Vec<String> = relevant.iter().map(|r| describe(r)).collect();
    let who = if issuers.is_empty() {
        "any CA".to_string()
    } else {
        issuers.join(", ")
    };
    Finding::new(
        CheckId::CaaForbidsIssuer,
        format!("the CAA RRset at {at} ({}) does not allow {who} to issue for {name}: the next issuance or renewal will fail", listed.join("; ")),
    )
    .with_remediation(format!(
        "Add a record that allows the CA, e.g. {at}. IN CAA 0 {} \"{example}\", or use a CA the records allow.",
        if name.starts_with("*.") { "issuewild" } else { "issue" }
    ))
}

/// Whether each name's CAA records let the certificate's CA (or `--caa-issuer`) issue.
pub(crate) fn check(source: &crate::Enriched, policy: &crate::Policy, result: &mut crate::TargetResult) {
    if source.lookups.caa.is_empty() {
        return;
    }
    let issuers = match (policy.caa_issuers.is_empty(), result.chain.first()) {
        (false, _) => policy.caa_issuers.clone(),
        (true, Some(leaf)) => issuer_domains(leaf).map(|(_, domains)| domains).unwrap_or_default(),
        (true, None) => vec![],
    };
    for lookup in &source.lookups.caa {
        let (report, findings) = evaluate(lookup, &issuers);
        result.caa.push(report);
        result.findings.extend(findings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(flags: u8, tag: &str, value: &str) -> CaaRecord {
        CaaRecord {
            flags,
            tag: tag.into(),
            value: value.as_bytes().to_vec(),
        }
    }

    fn found(name: &str, records: Vec<CaaRecord>) -> CaaLookup {
        CaaLookup {
            name: name.into(),
            outcome: CaaOutcome::Found {
                at: "example.com".into(),
                records,
            },
        }
    }

    fn verdict(name: &str, records: Vec<CaaRecord>, issuer: &str) -> (Option<bool>, Vec<CheckId>) {
        let (report, findings) = evaluate(&found(name, records), &[issuer.to_string()]);
        (report.permitted, findings.iter().map(|f| f.id).collect())
    }

    #[test]
    fn issue_values_parse_per_rfc_8659() {
        assert_eq!(
            parse_issue_value(b"letsencrypt.org"),
            Ok(Some("letsencrypt.org".into()))
        );
        assert_eq!(
            parse_issue_value(b" LetsEncrypt.ORG ; accounturi=https://x/1 ; validationmethods=dns-01"),
            Ok(Some("letsencrypt.org".into()))
        );
        assert_eq!(parse_issue_value(b";"), Ok(None));
        assert_eq!(parse_issue_value(b""), Ok(None));
        assert!(parse_issue_value(b"<script>alert('x')</script>").is_err());
        assert!(parse_issue_value(b"-bad.example").is_err());
        assert!(parse_issue_value(b"ca.example; novalue").is_err());
    }

    #[test]
    fn issue_allows_and_forbids() {
        let allow = vec![record(0, "issue", "letsencrypt.org")];
        assert_eq!(
            verdict("a.example.com", allow.clone(), "letsencrypt.org"),
            (Some(true), vec![])
        );
        assert_eq!(
            verdict("a.example.com", allow, "digicert.com"),
            (Some(false), vec![CheckId::CaaForbidsIssuer])
        );
        let nobody = vec![record(0, "issue", ";")];
        assert_eq!(
            verdict("a.example.com", nobody, "letsencrypt.org"),
            (Some(false), vec![CheckId::CaaForbidsIssuer])
        );
    }

    #[test]
    fn tags_compare_case_insensitively_and_unknown_noncritical_tags_are_ignored() {
        let upper = vec![record(0, "ISSUE", "ca.example")];
        assert_eq!(verdict("a.example.com", upper, "letsencrypt.org").0, Some(false));
        let only_unknown = vec![record(0, "dummy", "x"), record(0, "iodef", "mailto:sec@example.com")];
        assert_eq!(
            verdict("a.example.com", only_unknown, "letsencrypt.org"),
            (Some(true), vec![])
        );
    }

    #[test]
    fn critical_unknown_tags_forbid_everyone() {
        for flags in [128, 130] {
            let records = vec![
                record(flags, "futureproperty", "x"),
                record(0, "issue", "letsencrypt.org"),
            ];
            assert_eq!(
                verdict("a.example.com", records, "letsencrypt.org"),
                (Some(false), vec![CheckId::CaaCriticalUnknown])
            );
        }
        let known_critical = vec![record(128, "issue", "letsencrypt.org")];
        assert_eq!(
            verdict("a.example.com", known_critical, "letsencrypt.org").0,
            Some(true)
        );
    }

    #[test]
    fn wildcards_use_issuewild_first_then_issue() {
        let both = vec![
            record(0, "issue", "letsencrypt.org"),
            record(0, "issuewild", "digicert.com"),
        ];
        assert_eq!(verdict("*.example.com", both.clone(), "letsencrypt.org").0, Some(false));
        assert_eq!(verdict("*.example.com", both.clone(), "digicert.com").0, Some(true));
        assert_eq!(verdict("www.example.com", both, "letsencrypt.org").0, Some(true));
        let issue_only = vec![record(0, "issue", "letsencrypt.org")];
        assert_eq!(verdict("*.example.com", issue_only, "letsencrypt.org").0, Some(true));
    }

    #[test]
    fn malformed_records_authorise_nobody() {
        let records = vec![record(0, "issue", "<script>")];
        assert_eq!(
            verdict("a.example.com", records, "letsencrypt.org"),
            (Some(false), vec![CheckId::CaaMalformed, CheckId::CaaForbidsIssuer])
        );
        let mixed = vec![record(0, "issue", "<script>"), record(0, "issue", "letsencrypt.org")];
        assert_eq!(
            verdict("a.example.com", mixed, "letsencrypt.org"),
            (Some(true), vec![CheckId::CaaMalformed])
        );
    }

    #[test]
    fn a_malformed_value_that_does_not_decide_for_this_name_is_still_malformed() {
        // A malformed issuewild beside a good issue: a name without a wildcard is allowed, and
        // the issuewild record is said to be malformed all the same.
        let records = vec![record(0, "issue", "letsencrypt.org"), record(0, "issuewild", "%%%")];
        assert_eq!(
            verdict("a.example.com", records.clone(), "letsencrypt.org"),
            (Some(true), vec![CheckId::CaaMalformed])
        );
        // Alone, without issue records.
        let only_wild = vec![record(0, "issuewild", "%%%")];
        assert_eq!(
            verdict("a.example.com", only_wild, "letsencrypt.org"),
            (Some(true), vec![CheckId::CaaMalformed])
        );
        // A malformed issue beside a good issuewild, for a wildcard name.
        let wild = vec![record(0, "issue", "<bad>"), record(0, "issuewild", "letsencrypt.org")];
        assert_eq!(
            verdict("*.example.com", wild, "letsencrypt.org"),
            (Some(true), vec![CheckId::CaaMalformed])
        );
        // Well-formed records that do not decide raise nothing.
        let fine = vec![record(0, "issue", "letsencrypt.org"), record(0, "issuewild", ";")];
        assert_eq!(verdict("a.example.com", fine, "letsencrypt.org"), (Some(true), vec![]));
    }

    #[test]
    fn missing_and_failed_lookups() {
        let none = CaaLookup {
            name: "a.example.com".into(),
            outcome: CaaOutcome::NotFound,
        };
        let (report, findings) = evaluate(&none, &["letsencrypt.org".into()]);
        assert_eq!((report.permitted, report.found_at), (Some(true), None));
        assert_eq!(findings[0].id, CheckId::CaaMissing);
        let failed = CaaLookup {
            name: "a.example.com".into(),
            outcome: CaaOutcome::Failed {
                error: "SERVFAIL".into(),
            },
        };
        let (report, findings) = evaluate(&failed, &["letsencrypt.org".into()]);
        assert_eq!(report.permitted, None);
        assert_eq!(findings[0].id, CheckId::CaaLookupFailed);
        assert_eq!(findings[0].severity, certscan_model::status::Severity::Unknown);
    }

    #[test]
    fn the_issuer_data_file_parses_and_maps_lets_encrypt() {
        assert!(known_cas().len() > 10);
        assert!(
            known_cas()
                .iter()
                .all(|ca| !ca.name.is_empty() && !ca.domains.is_empty())
        );
    }
}
