//! Findings: what a check found on one endpoint or file, with the catalog's title and remediation.

use crate::catalog;
pub use crate::check_id::CheckId;
use crate::status::Severity;

/// Why some clients refuse what a finding reports and others accept it, when its check id alone
/// does not say: the client families judge the finding by the setting that matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// OpenSSL's strict RFC 5280 checks (`X509_V_FLAG_X509_STRICT`) refuse it.
    StrictProfile,
    /// Certificate parsers that refuse a negative serial number.
    NegativeSerial,
    /// Certificate parsers that refuse a name constraints extension with no subtree.
    EmptyNameConstraints,
    /// Clients that refuse a certificate whose issuer name is empty.
    EmptyIssuerName,
}

/// One problem found, with what is specific to this endpoint. Title, default severity and the
/// generic remediation come from the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: CheckId,
    pub severity: Severity,
    /// What was seen here, in one or two sentences.
    pub detail: String,
    /// A remediation specific to this case; the catalog's when `None`.
    pub remediation: Option<String>,
    /// The commands that show it by hand, with this target's values filled in.
    pub commands: Vec<String>,
    /// Said of another certificate than the chain the report shows: the one a server with an
    /// RSA and an ECDSA certificate sends to clients of the other key type.
    pub of_other_certificate: bool,
    /// Who refuses it, when clients differ on it for a reason its id does not say.
    pub refusal: Option<Refusal>,
}

impl Finding {
    /// A finding at the catalog's default severity.
    pub fn new(id: CheckId, detail: impl Into<String>) -> Finding {
        Finding {
            id,
            severity: catalog::entry(id).severity,
            detail: detail.into(),
            remediation: None,
            commands: vec![],
            of_other_certificate: false,
            refusal: None,
        }
    }

    pub fn with_refusal(mut self, refusal: Refusal) -> Finding {
        self.refusal = Some(refusal);
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn with_remediation(mut self, remediation: impl Into<String>) -> Finding {
        self.remediation = Some(remediation.into());
        self
    }

    pub fn title(&self) -> &'static str {
        &catalog::entry(self.id).title
    }

    pub fn remediation(&self) -> &str {
        self.remediation
            .as_deref()
            .unwrap_or(&catalog::entry(self.id).remediation)
    }
}

/// Findings of one id kept whole on one target; beyond, they are collapsed into one.
pub(crate) const MAX_REPEATED: usize = 5;
/// Details quoted in a collapsed finding.
const QUOTED_WHEN_COLLAPSED: usize = 3;

/// Collapses the findings of any id that occurs more than [`MAX_REPEATED`] times into one
/// finding of that id, at the worst severity among them, that gives the count and quotes the
/// first few: a chain of 5,000 stray certificates is one finding, not 5,000.
pub fn collapse_repeated(findings: Vec<Finding>) -> Vec<Finding> {
    let mut counts: std::collections::HashMap<CheckId, usize> = std::collections::HashMap::new();
    for finding in &findings {
        *counts.entry(finding.id).or_default() += 1;
    }
    if counts.values().all(|count| *count <= MAX_REPEATED) {
        return findings;
    }
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    // For each collapsed id: where its summary is, and how many details it quotes.
    let mut collapsed: std::collections::HashMap<CheckId, (usize, usize)> = std::collections::HashMap::new();
    for finding in findings {
        let count = counts[&finding.id];
        if count <= MAX_REPEATED {
            kept.push(finding);
            continue;
        }
        match collapsed.get_mut(&finding.id) {
            None => {
                collapsed.insert(finding.id, (kept.len(), 1));
                kept.push(Finding {
                    detail: format!("{count} findings of this kind: {}", finding.detail),
                    ..finding
                });
            }
            Some((at, quoted)) => {
                let summary = &mut kept[*at];
                *quoted += 1;
                let quoted = *quoted;
                if summary.severity.rank() < finding.severity.rank() {
                    summary.severity = finding.severity;
                }
                if quoted <= QUOTED_WHEN_COLLAPSED {
                    summary.detail.push_str("; ");
                    summary.detail.push_str(&finding.detail);
                }
                if quoted == QUOTED_WHEN_COLLAPSED {
                    summary
                        .detail
                        .push_str(&format!("; and {} more", count - QUOTED_WHEN_COLLAPSED));
                }
            }
        }
    }
    kept
}

/// "a, b, c and 9,997 more": at most `shown` items of a long list.
pub fn summarise_list(items: &[String], shown: usize) -> String {
    if items.len() <= shown {
        return items.join(", ");
    }
    format!("{} and {} more", items[..shown].join(", "), items.len() - shown)
}

/// Orders findings worst first, then by id, so reports are stable.
pub fn sort_worst_first(findings: &mut [Finding]) {
    findings.sort_by(|a, b| b.severity.rank().cmp(&a.severity.rank()).then(a.id.cmp(&b.id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_findings_collapse_into_one_with_a_count() {
        let mut findings: Vec<Finding> = (0..1000)
            .map(|i| Finding::new(CheckId::ExtraCert, format!("certificate #{i}; stray")))
            .collect();
        findings.push(Finding::new(CheckId::ExtraCert, "worse").with_severity(crate::status::Severity::Critical));
        findings.push(Finding::new(CheckId::ChainOrder, "order"));
        let collapsed = collapse_repeated(findings);
        assert_eq!(collapsed.len(), 2);
        let summary = &collapsed[0];
        assert_eq!(summary.severity, crate::status::Severity::Critical);
        assert_eq!(
            summary.detail,
            "1001 findings of this kind: certificate #0; stray; certificate #1; stray; certificate #2; stray; and 998 more"
        );
        let few: Vec<Finding> = (0..MAX_REPEATED)
            .map(|i| Finding::new(CheckId::ExtraCert, format!("{i}")))
            .collect();
        assert_eq!(collapse_repeated(few.clone()), few);
    }

    #[test]
    fn long_lists_are_summarised() {
        let items: Vec<String> = (0..12).map(|i| format!("DNS:n{i}")).collect();
        assert_eq!(summarise_list(&items[..2], 10), "DNS:n0, DNS:n1");
        assert!(summarise_list(&items, 10).ends_with("DNS:n9 and 2 more"));
    }
}
