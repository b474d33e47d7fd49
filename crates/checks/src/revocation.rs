//! Revocation: the OCSP response a server staples to its handshake and what `--revocation`
//! fetched (the OCSP responder's answer, the CRL), each checked against the leaf and its issuer
//! at the evaluation time (signature, the certificate it is about, its validity window).
//! Findings: `cert.revoked`, `ocsp.must_staple_missing`, `ocsp.staple_invalid`,
//! `ocsp.staple_expired`, `revocation.unchecked`.

use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo};
use x509_parser::x509::AlgorithmIdentifier;

use certscan_model::evidence::{RevocationFetch, RevocationMethod};
use certscan_model::finding::{CheckId, Finding};
use certscan_model::status::Severity;
use certscan_x509::certificate::{CertInfo, rfc3339};
use certscan_x509::ocsp::{self, CertId, CertStatus, ResponderId, Response};

/// How far a response's thisUpdate may be after the evaluation time (responders' clocks run
/// slightly ahead; RFC 5019 allows for it).
const CLOCK_SKEW_SECONDS: i64 = 300;

/// What one OCSP response or CRL says of the leaf, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Good {
        this_update: i64,
        next_update: Option<i64>,
    },
    Revoked {
        at: i64,
        reason: Option<u32>,
    },
    /// The responder says it does not know the certificate.
    UnknownToResponder,
    /// A well-signed answer outside its validity window at the evaluation time.
    Expired {
        next_update: i64,
    },
    NotYetValid {
        this_update: i64,
    },
    /// The answer cannot be relied on: why.
    Invalid(String),
    /// The answer could not be checked (no issuer to check it against, nothing fetched): why.
    Unchecked(String),
}

/// What the report shows of one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerView {
    /// `good`, `revoked`, `unknown`, `expired`, `not_yet_valid`, `invalid` or `unchecked`.
    pub status: &'static str,
    pub this_update: Option<String>,
    pub next_update: Option<String>,
    pub revoked_at: Option<String>,
    pub reason: Option<&'static str>,
    /// Why the answer is invalid or unchecked.
    pub problem: Option<String>,
}

/// A live question asked with `--revocation`, and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveView {
    pub method: RevocationMethod,
    pub url: Option<String>,
    pub answer: AnswerView,
}

/// Everything known about the leaf's revocation.
#[derive(Debug, Clone, PartialEq)]
pub struct RevocationView {
    /// The leaf asks for a stapled OCSP response (TLS feature extension, "must-staple").
    pub must_staple: bool,
    /// The stapled OCSP response, checked; `null` when the server stapled nothing (or for a file).
    pub stapled: Option<AnswerView>,
    /// The answers `--revocation` fetched.
    pub live: Vec<LiveView>,
}

impl Verdict {
    pub(crate) fn view(&self) -> AnswerView {
        let mut view = AnswerView {
            status: "good",
            this_update: None,
            next_update: None,
            revoked_at: None,
            reason: None,
            problem: None,
        };
        match self {
            Verdict::Good {
                this_update,
                next_update,
            } => {
                view.this_update = Some(rfc3339(*this_update));
                view.next_update = next_update.map(rfc3339);
            }
            Verdict::Revoked { at, reason } => {
                view.status = "revoked";
                view.revoked_at = Some(rfc3339(*at));
                view.reason = reason.map(ocsp::reason_name);
            }
            Verdict::UnknownToResponder => view.status = "unknown",
            Verdict::Expired { next_update } => {
                view.status = "expired";
                view.next_update = Some(rfc3339(*next_update));
            }
            Verdict::NotYetValid { this_update } => {
                view.status = "not_yet_valid";
                view.this_update = Some(rfc3339(*this_update));
            }
            Verdict::Invalid(problem) => {
                view.status = "invalid";
                view.problem = Some(problem.clone());
            }
            Verdict::Unchecked(problem) => {
                view.status = "unchecked";
                view.problem = Some(problem.clone());
            }
        }
        view
    }

    /// The verdict in words, for findings.
    fn describe(&self) -> String {
        match self {
            Verdict::Good { .. } => "the certificate is good".into(),
            Verdict::Revoked { at, reason } => format!(
                "the certificate was revoked on {}{}",
                rfc3339(*at),
                reason
                    .map(|r| format!(" (reason: {})", ocsp::reason_name(r)))
                    .unwrap_or_default()
            ),
            Verdict::UnknownToResponder => "the responder does not know the certificate (status unknown)".into(),
            Verdict::Expired { next_update } => {
                format!("the response expired on {} (its nextUpdate)", rfc3339(*next_update))
            }
            Verdict::NotYetValid { this_update } => {
                format!(
                    "the response is only valid from {} (its thisUpdate)",
                    rfc3339(*this_update)
                )
            }
            Verdict::Invalid(problem) | Verdict::Unchecked(problem) => problem.clone(),
        }
    }
}

/// The leaf's issuer: the served certificate or `--ca-file` certificate named as its issuer whose
/// key verifies the leaf's signature.
pub fn find_issuer<'a>(leaf: &CertInfo, candidates: impl IntoIterator<Item = &'a CertInfo>) -> Option<&'a CertInfo> {
    candidates
        .into_iter()
        .find(|candidate| leaf.named_issuer_is(candidate) && signed_by(&leaf.der, candidate))
}

/// Whether the certificate `der` carries a valid signature by `signer`'s key.
fn signed_by(der: &[u8], signer: &CertInfo) -> bool {
    let (Ok((_, cert)), Ok((_, key))) = (
        x509_parser::certificate::X509Certificate::from_der(der),
        SubjectPublicKeyInfo::from_der(&signer.spki_der),
    ) else {
        return false;
    };
    cert.verify_signature(Some(&key)).is_ok()
}

/// Whether `signature` over `data` verifies with `signer`'s key under `algorithm` (DER).
fn verifies(signer: &CertInfo, algorithm: &[u8], signature: &[u8], data: &[u8]) -> bool {
    let (Ok((_, key)), Ok((_, algorithm))) = (
        SubjectPublicKeyInfo::from_der(&signer.spki_der),
        AlgorithmIdentifier::from_der(algorithm),
    ) else {
        return false;
    };
    let bits = x509_parser::asn1_rs::BitString::new(0, signature);
    x509_parser::verify::verify_signature(&key, &algorithm, &bits, data).is_ok()
}

/// Checks a DER OCSP response about `leaf`, issued by `issuer`, at `at_unix`.
pub fn check_ocsp(der: &[u8], leaf: &CertInfo, issuer: Option<&CertInfo>, at_unix: i64) -> Verdict {
    let basic = match ocsp::parse_response(der) {
        Err(e) => return Verdict::Invalid(format!("the OCSP response does not decode: {e}")),
        Ok(Response::NotAnswered(status)) => {
            return Verdict::Invalid(format!(
                "the responder did not answer: its status is {} ({status})",
                ocsp::response_status_name(status)
            ));
        }
        Ok(Response::Basic(basic)) => basic,
    };
    let Some(issuer) = issuer else {
        return Verdict::Unchecked(
            "the leaf's issuer is not available (neither served nor given with --ca-file), so the OCSP response cannot be checked".into(),
        );
    };
    let single = match answer_about(&basic, leaf, issuer) {
        Ok(single) => single,
        Err(verdict) => return verdict,
    };
    let delegated: Vec<CertInfo> = basic
        .certificates
        .iter()
        .take(8)
        .map(|der| CertInfo::from_der(der, at_unix))
        .collect();
    let signer = match ocsp_signer(&basic, issuer, &delegated, at_unix) {
        Ok(signer) => signer,
        Err(verdict) => return verdict,
    };
    if !verifies(signer, &basic.signature_algorithm, &basic.signature, &basic.signed) {
        return Verdict::Invalid(format!(
            "the OCSP response's signature does not verify with the key of {}",
            signer.subject
        ));
    }
    single_verdict(single, at_unix)
}

/// The response's answer about the leaf (by the issuer's name and key hashes and the serial).
fn answer_about<'a>(
    basic: &'a ocsp::BasicResponse,
    leaf: &CertInfo,
    issuer: &CertInfo,
) -> Result<&'a ocsp::SingleResponse, Verdict> {
    let expected = |digest| CertId::new(digest, &issuer.subject_raw, &issuer.key_bits, &leaf.serial_raw);
    basic
        .responses
        .iter()
        .find(|single| single.cert_id == expected(single.cert_id.digest))
        .ok_or_else(|| {
            let about = basic
                .responses
                .first()
                .map(|s| format!("serial {}", hex_colon(&s.cert_id.serial)))
                .unwrap_or_else(|| "no certificate".into());
            Verdict::Invalid(format!(
                "the OCSP response is about {about}, not this certificate (serial {}, issuer {})",
                leaf.serial, issuer.subject
            ))
        })
}

/// Who may have signed the response: the issuer itself, or a responder it delegated to (a
/// certificate in the response, issued by the issuer, with the OCSP-signing extended key
/// usage, valid at the evaluation time).
fn ocsp_signer<'a>(
    basic: &ocsp::BasicResponse,
    issuer: &'a CertInfo,
    delegated: &'a [CertInfo],
    at_unix: i64,
) -> Result<&'a CertInfo, Verdict> {
    let names = |candidate: &CertInfo| match &basic.responder {
        ResponderId::ByName(name) => *name == candidate.subject_raw,
        ResponderId::ByKey(hash) => {
            *hash == ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &candidate.key_bits).as_ref()
        }
    };
    if names(issuer) {
        return Ok(issuer);
    }
    let Some(responder) = delegated.iter().find(|c| c.parsed() && names(c)) else {
        return Err(Verdict::Invalid(
            "the OCSP response is signed by neither the issuer nor a responder certificate sent with it".into(),
        ));
    };
    if !(responder.named_issuer_is(issuer) && signed_by(&responder.der, issuer)) {
        return Err(Verdict::Invalid(format!(
            "the OCSP response is signed by {}, which the leaf's issuer did not issue",
            responder.subject
        )));
    }
    if !responder.ocsp_signing {
        return Err(Verdict::Invalid(format!(
            "the OCSP response is signed by {}, which is not authorized to sign OCSP responses (no OCSP signing extended key usage)",
            responder.subject
        )));
    }
    if at_unix < responder.not_before_unix || at_unix > responder.not_after_unix {
        return Err(Verdict::Invalid(format!(
            "the OCSP responder certificate {} is not valid at the evaluation time (valid {} to {})",
            responder.subject, responder.not_before, responder.not_after
        )));
    }
    Ok(responder)
}

/// A verified answer, inside its window or not, and what it says.
fn single_verdict(single: &ocsp::SingleResponse, at_unix: i64) -> Verdict {
    if single.this_update > at_unix + CLOCK_SKEW_SECONDS {
        return Verdict::NotYetValid {
            this_update: single.this_update,
        };
    }
    if let Some(next_update) = single.next_update
        && next_update < at_unix
    {
        return Verdict::Expired { next_update };
    }
    match single.status {
        CertStatus::Good => Verdict::Good {
            this_update: single.this_update,
            next_update: single.next_update,
        },
        CertStatus::Revoked { at, reason } => Verdict::Revoked { at, reason },
        CertStatus::Unknown => Verdict::UnknownToResponder,
    }
}

/// Checks a DER CRL for `leaf`, issued by `issuer`, at `at_unix`.
pub fn check_crl(der: &[u8], leaf: &CertInfo, issuer: Option<&CertInfo>, at_unix: i64) -> Verdict {
    let crl = match x509_parser::revocation_list::CertificateRevocationList::from_der(der) {
        Ok((_, crl)) => crl,
        Err(e) => return Verdict::Invalid(format!("the CRL does not decode: {e}")),
    };
    let Some(issuer) = issuer else {
        return Verdict::Unchecked(
            "the leaf's issuer is not available (neither served nor given with --ca-file), so the CRL cannot be checked".into(),
        );
    };
    if crl.issuer().as_raw() != issuer.subject_raw.as_slice() {
        return Verdict::Invalid(format!(
            "the CRL is issued by {}, not by the leaf's issuer {}",
            crl.issuer(),
            issuer.subject
        ));
    }
    let Ok((_, key)) = SubjectPublicKeyInfo::from_der(&issuer.spki_der) else {
        return Verdict::Invalid("the issuer's key cannot be read".into());
    };
    if crl.verify_signature(&key).is_err() {
        return Verdict::Invalid(format!(
            "the CRL's signature does not verify with the key of {}",
            issuer.subject
        ));
    }
    let this_update = crl.last_update().timestamp();
    if this_update > at_unix + CLOCK_SKEW_SECONDS {
        return Verdict::NotYetValid { this_update };
    }
    let next_update = crl.next_update().map(|t| t.timestamp());
    if let Some(next_update) = next_update
        && next_update < at_unix
    {
        return Verdict::Expired { next_update };
    }
    match crl
        .iter_revoked_certificates()
        .find(|revoked| revoked.raw_serial() == leaf.serial_raw.as_slice())
    {
        Some(revoked) => Verdict::Revoked {
            at: revoked.revocation_date.timestamp(),
            reason: revoked.reason_code().map(|(_, code)| code.0 as u32),
        },
        None => Verdict::Good {
            this_update,
            next_update,
        },
    }
}

fn hex_colon(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// What is known of the leaf's revocation, and the findings it gives. `stapled` is `Some` for
/// an endpoint whose handshake completed (holding the staple, if any); `None` for files and
/// failed handshakes, where no staple could be seen.
pub(crate) fn assess(
    leaf: &CertInfo,
    issuer: Option<&CertInfo>,
    stapled: Option<Option<&[u8]>>,
    live: &[RevocationFetch],
    at_unix: i64,
) -> (Option<RevocationView>, Vec<Finding>) {
    if !leaf.parsed() || (stapled.is_none() && live.is_empty() && !leaf.must_staple) {
        return (None, vec![]);
    }
    let mut heard = Heard::default();
    let stapled_view = match stapled {
        Some(Some(der)) => Some(heard.staple(check_ocsp(der, leaf, issuer, at_unix), leaf.must_staple)),
        Some(None) => {
            if leaf.must_staple {
                heard.findings.push(Finding::new(
                    CheckId::OcspMustStapleMissing,
                    "the certificate requires a stapled OCSP response (TLS feature status_request, \"must-staple\"), and the server stapled none",
                ));
            }
            None
        }
        None => None,
    };
    let live_views = live
        .iter()
        .map(|fetch| heard.live_answer(fetch, leaf, issuer, at_unix))
        .collect();
    let findings = heard.findings(leaf);
    let view = RevocationView {
        must_staple: leaf.must_staple,
        stapled: stapled_view,
        live: live_views,
    };
    (Some(view), findings)
}

/// What the revocation sources said, as they are heard.
#[derive(Default)]
struct Heard {
    findings: Vec<Finding>,
    /// The sources that say the leaf is revoked, with what they said.
    revoked_by: Vec<String>,
    /// The sources that gave a trustworthy answer (good or revoked): with one, the others'
    /// failures do not leave the status unknown.
    answered_by: Vec<String>,
}

impl Heard {
    /// The stapled response's verdict: a stale or unusable staple is a finding, critical when the
    /// leaf requires a valid staple.
    fn staple(&mut self, verdict: Verdict, must_staple: bool) -> AnswerView {
        let severity = if must_staple {
            Severity::Critical
        } else {
            Severity::Warning
        };
        let must_staple_note = if must_staple {
            "; the certificate requires a valid staple (must-staple), so Firefox and other strict clients refuse the connection"
        } else {
            ""
        };
        let problem = match &verdict {
            Verdict::Revoked { .. } => {
                self.revoked_by
                    .push(format!("the stapled OCSP response: {}", verdict.describe()));
                None
            }
            Verdict::Expired { .. } | Verdict::NotYetValid { .. } => {
                Some((CheckId::OcspStapleExpired, "the stapled OCSP response is stale"))
            }
            Verdict::Invalid(_) | Verdict::UnknownToResponder => {
                Some((CheckId::OcspStapleInvalid, "the stapled OCSP response cannot be used"))
            }
            Verdict::Good { .. } | Verdict::Unchecked(_) => None,
        };
        if let Some((id, what)) = problem {
            self.findings.push(
                Finding::new(id, format!("{what}: {}{must_staple_note}", verdict.describe())).with_severity(severity),
            );
        }
        let view = verdict.view();
        if matches!(view.status, "good" | "revoked") {
            self.answered_by.push("the stapled OCSP response".into());
        }
        view
    }

    /// An answer `--revocation` fetched, checked.
    fn live_answer(
        &mut self,
        fetch: &RevocationFetch,
        leaf: &CertInfo,
        issuer: Option<&CertInfo>,
        at_unix: i64,
    ) -> LiveView {
        let verdict = match &fetch.answer {
            Err(problem) => Verdict::Unchecked(problem.clone()),
            Ok(body) => match fetch.method {
                RevocationMethod::Ocsp => check_ocsp(body, leaf, issuer, at_unix),
                RevocationMethod::Crl => check_crl(body, leaf, issuer, at_unix),
            },
        };
        let source = match (fetch.method, &fetch.url) {
            (RevocationMethod::Ocsp, Some(url)) => format!("the OCSP responder {url}"),
            (RevocationMethod::Crl, Some(url)) => format!("the CRL {url}"),
            (RevocationMethod::Ocsp, None) => "OCSP".into(),
            (RevocationMethod::Crl, None) => "the CRL".into(),
        };
        match &verdict {
            Verdict::Good { .. } => self.answered_by.push(source),
            Verdict::Revoked { .. } => {
                self.revoked_by.push(format!("{source}: {}", verdict.describe()));
                self.answered_by.push(source);
            }
            _ => self.findings.push(Finding::new(
                CheckId::RevocationUnchecked,
                format!("revocation could not be checked with {source}: {}", verdict.describe()),
            )),
        }
        LiveView {
            method: fetch.method,
            url: fetch.url.clone(),
            answer: verdict.view(),
        }
    }

    /// The findings: revoked first, and a source that could not answer is only information
    /// when another did.
    fn findings(mut self, leaf: &CertInfo) -> Vec<Finding> {
        if !self.answered_by.is_empty() {
            for unchecked in self
                .findings
                .iter_mut()
                .filter(|f| f.id == CheckId::RevocationUnchecked)
            {
                unchecked.severity = Severity::Info;
                unchecked.detail = format!(
                    "{}; {} answered instead",
                    unchecked.detail,
                    self.answered_by.join(" and ")
                );
            }
        }
        if !self.revoked_by.is_empty() {
            self.findings.insert(
                0,
                Finding::new(
                    CheckId::Revoked,
                    format!("{} is revoked, says {}", leaf.label(), self.revoked_by.join("; and ")),
                ),
            );
        }
        self.findings
    }
}

#[cfg(test)]
mod tests {
    //! Against responses and a CRL made by OpenSSL (`fixtures/make-ocsp-fixtures.sh`), whose
    //! window runs from the day they were made for 100 years.
    use super::*;

    const AT: i64 = 1_906_502_400; // 2030-06-01

    fn pem_certificate(text: &str) -> CertInfo {
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(text.as_bytes())
            .map(|c: rustls::pki_types::CertificateDer<'static>| c.to_vec())
            .unwrap();
        CertInfo::from_der(&der, AT)
    }

    fn pki() -> (CertInfo, CertInfo) {
        (
            pem_certificate(include_str!("../../../fixtures/ocsp/leaf.pem")),
            pem_certificate(include_str!("../../../fixtures/ocsp/ca.pem")),
        )
    }

    #[test]
    fn openssl_responses() {
        let (leaf, ca) = pki();
        assert!(leaf.must_staple, "openssl's tlsfeature=status_request");
        assert_eq!(leaf.serial_raw, [0x10, 0x01]);
        let good = include_bytes!("../../../fixtures/ocsp/good.der");
        assert!(matches!(
            check_ocsp(good, &leaf, Some(&ca), AT),
            Verdict::Good {
                next_update: Some(_),
                ..
            }
        ));
        let delegated = include_bytes!("../../../fixtures/ocsp/delegated.der");
        assert!(matches!(
            check_ocsp(delegated, &leaf, Some(&ca), AT),
            Verdict::Good { .. }
        ));
        let revoked = include_bytes!("../../../fixtures/ocsp/revoked.der");
        assert_eq!(
            check_ocsp(revoked, &leaf, Some(&ca), AT),
            Verdict::Revoked {
                at: 1_767_225_600, // 2026-01-01
                reason: Some(1),
            }
        );
        // The same response about a certificate of another serial, or checked against another
        // issuer, is refused.
        let mut other = leaf.clone();
        other.serial_raw = vec![0x10, 0x02];
        assert!(
            matches!(check_ocsp(good, &other, Some(&ca), AT), Verdict::Invalid(e) if e.contains("not this certificate"))
        );
        assert!(matches!(check_ocsp(good, &leaf, Some(&leaf), AT), Verdict::Invalid(_)));
        assert!(matches!(check_ocsp(good, &leaf, None, AT), Verdict::Unchecked(_)));
        // Before it was made, and a century later.
        assert!(matches!(
            check_ocsp(good, &leaf, Some(&ca), 1_700_000_000),
            Verdict::NotYetValid { .. }
        ));
        assert!(matches!(
            check_ocsp(good, &leaf, Some(&ca), 5_000_000_000),
            Verdict::Expired { .. }
        ));
        // One flipped byte in the signed data.
        let mut tampered = good.to_vec();
        let position = tampered.windows(2).position(|w| w == [0x10, 0x01]).unwrap();
        tampered[position + 1] = 0x02;
        assert!(matches!(
            check_ocsp(&tampered, &leaf, Some(&ca), AT),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn openssl_crl() {
        let (leaf, ca) = pki();
        let crl = include_bytes!("../../../fixtures/ocsp/revoked.crl");
        assert_eq!(
            check_crl(crl, &leaf, Some(&ca), AT),
            Verdict::Revoked {
                at: 1_767_225_600,
                reason: Some(1),
            }
        );
        let mut other = leaf.clone();
        other.serial_raw = vec![0x10, 0x02];
        assert!(matches!(check_crl(crl, &other, Some(&ca), AT), Verdict::Good { .. }));
        assert!(
            matches!(check_crl(crl, &leaf, Some(&leaf), AT), Verdict::Invalid(e) if e.contains("not by the leaf's issuer"))
        );
        assert!(matches!(
            check_crl(b"garbage", &leaf, Some(&ca), AT),
            Verdict::Invalid(_)
        ));
    }

    #[test]
    fn assess_without_a_staple_or_questions_says_nothing_for_ordinary_files() {
        let (leaf, ca) = pki();
        let mut ordinary = leaf.clone();
        ordinary.must_staple = false;
        assert_eq!(assess(&ordinary, Some(&ca), None, &[], AT), (None, vec![]));
        let (view, findings) = assess(&leaf, Some(&ca), Some(None), &[], AT);
        assert!(view.is_some_and(|v| v.must_staple && v.stapled.is_none()));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, CheckId::OcspMustStapleMissing);
    }
}
