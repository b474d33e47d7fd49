//! Compliance policies (`--policy FILE`): a TOML file of rules a deployment must follow (minimum
//! TLS version, allowed keys, allowed issuers, maximum lifetime, required names per target,
//! required stapling, forbidden findings). Reading one validates it whole, with the line of each
//! mistake; judging a result against it gives one `policy.*` finding per rule broken, carrying
//! the rule's own text.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::TargetResult;
use super::connection::version_name;
use certscan_model::evidence::LegacyHello;
use certscan_model::finding::{CheckId, Finding};
use certscan_model::status::Severity;
use certscan_x509::certificate::CertInfo;

/// The policies built into the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "mozilla-intermediate",
        include_str!("../../../checks/policies/mozilla-intermediate.toml"),
    ),
    (
        "strict-internal",
        include_str!("../../../checks/policies/strict-internal.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    name: String,
    description: Option<String>,
    tls: Option<TlsSection>,
    keys: Option<KeysSection>,
    issuers: Option<IssuersSection>,
    lifetime: Option<LifetimeSection>,
    stapling: Option<StaplingSection>,
    findings: Option<FindingsSection>,
    #[serde(default)]
    sans: Vec<SansSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsSection {
    min_version: Spanned<String>,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySpec {
    #[serde(rename = "type")]
    kind: String,
    min_bits: Option<u32>,
    curve: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysSection {
    allowed: Vec<Spanned<KeySpec>>,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuersSection {
    allowed: Vec<Spanned<String>>,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifetimeSection {
    max_days: Spanned<i64>,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaplingSection {
    required: bool,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingsSection {
    forbidden: Vec<Spanned<String>>,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SansSection {
    target: Spanned<String>,
    required: Vec<Spanned<String>>,
    /// The rule in the policy owner's words, shown in its findings.
    text: Option<String>,
    /// How much breaking the rule matters (warning by default).
    severity: Option<Severity>,
}

/// An allowed kind of key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AllowedKey {
    Rsa {
        min_bits: u32,
    },
    /// An elliptic curve by its NIST name (P-256, P-384, P-521).
    Ec {
        curve: String,
    },
    Ed25519,
    Ed448,
}

impl AllowedKey {
    fn admits(&self, key: &certscan_x509::certificate::KeyInfo) -> bool {
        match self {
            AllowedKey::Rsa { min_bits } => key.kind == "RSA" && key.bits.is_some_and(|b| b >= *min_bits),
            AllowedKey::Ec { curve } => key.kind.strip_prefix("EC ").and_then(nist_curve) == Some(curve.as_str()),
            AllowedKey::Ed25519 => key.kind.eq_ignore_ascii_case("ed25519"),
            AllowedKey::Ed448 => key.kind.eq_ignore_ascii_case("ed448"),
        }
    }

    fn describe(&self) -> String {
        match self {
            AllowedKey::Rsa { min_bits } => format!("RSA of {min_bits} bits or more"),
            AllowedKey::Ec { curve } => format!("EC {curve}"),
            AllowedKey::Ed25519 => "Ed25519".into(),
            AllowedKey::Ed448 => "Ed448".into(),
        }
    }
}

/// The NIST name of a curve as x509-parser names it.
fn nist_curve(name: &str) -> Option<&'static str> {
    match name {
        "prime256v1" | "secp256r1" | "P-256" => Some("P-256"),
        "secp384r1" | "P-384" => Some("P-384"),
        "secp521r1" | "P-521" => Some("P-521"),
        _ => None,
    }
}

/// An allowed issuer: the leaf's issuer name, or the SHA-256 of the SubjectPublicKeyInfo of a
/// certificate above the leaf in the served chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AllowedIssuer {
    Name(String),
    SpkiSha256(Vec<u8>),
}

/// One rule with its wording.
#[derive(Debug, Clone)]
pub struct Rule<T> {
    pub value: T,
    pub text: Option<String>,
    pub severity: Severity,
}

/// A validated compliance policy.
#[derive(Debug, Clone)]
pub struct CompliancePolicy {
    pub name: String,
    pub description: Option<String>,
    /// The lowest TLS version allowed, on the wire (0x0303 TLS 1.2).
    pub min_version: Option<Rule<u16>>,
    pub(crate) keys: Option<Rule<Vec<AllowedKey>>>,
    pub(crate) issuers: Option<Rule<Vec<AllowedIssuer>>>,
    pub max_lifetime_days: Option<Rule<i64>>,
    pub stapling_required: Option<Rule<()>>,
    pub forbidden: Option<Rule<Vec<CheckId>>>,
    /// Per target (a host, or host:port): names the leaf must be valid for.
    pub sans: Vec<Rule<(String, Vec<String>)>>,
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, span: Range<usize>) -> usize {
    text[..span.start.min(text.len())].matches('\n').count() + 1
}

fn rule<T>(value: T, text: Option<String>, severity: Option<Severity>) -> Rule<T> {
    Rule {
        value,
        text,
        severity: severity.unwrap_or(Severity::Warning),
    }
}

/// The wire version of a TLS version as written in a policy.
fn tls_version(text: &str) -> Option<u16> {
    match text.trim().trim_start_matches("TLS").trim_start_matches("v").trim() {
        "1.0" => Some(0x0301),
        "1.1" => Some(0x0302),
        "1.2" => Some(0x0303),
        "1.3" => Some(0x0304),
        _ => None,
    }
}

/// Where a policy's text comes from, for errors that name the source and the line.
struct PolicySource<'a> {
    text: &'a str,
    name: &'a str,
}

impl PolicySource<'_> {
    fn error(&self, span: Range<usize>, message: String) -> String {
        format!("policy {} line {}: {message}", self.name, line_of(self.text, span))
    }
}

/// Reads and validates a policy; errors name the source and the line.
pub fn parse(text: &str, source: &str) -> Result<CompliancePolicy, String> {
    let file: PolicyFile = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| format!(" line {}", line_of(text, span)))
            .unwrap_or_default();
        format!("policy {source}{at}: {}", e.message())
    })?;
    let at = PolicySource { text, name: source };
    if file.name.trim().is_empty() {
        return Err(format!("policy {source}: name is empty"));
    }
    Ok(CompliancePolicy {
        min_version: file.tls.map(|section| tls_rule(section, &at)).transpose()?,
        keys: file.keys.map(|section| keys_rule(section, &at)).transpose()?,
        issuers: file.issuers.map(|section| issuers_rule(section, &at)).transpose()?,
        max_lifetime_days: file.lifetime.map(|section| lifetime_rule(section, &at)).transpose()?,
        stapling_required: file
            .stapling
            .and_then(|section| section.required.then(|| rule((), section.text, section.severity))),
        forbidden: file.findings.map(|section| findings_rule(section, &at)).transpose()?,
        sans: file
            .sans
            .into_iter()
            .map(|section| sans_rule(section, &at))
            .collect::<Result<_, _>>()?,
        name: file.name,
        description: file.description,
    })
}

/// `[tls] min_version`.
fn tls_rule(section: TlsSection, at: &PolicySource) -> Result<Rule<u16>, String> {
    let version = tls_version(section.min_version.get_ref()).ok_or_else(|| {
        at.error(
            section.min_version.span(),
            format!(
                "min_version {:?} is not a TLS version (1.0, 1.1, 1.2 or 1.3)",
                section.min_version.get_ref()
            ),
        )
    })?;
    Ok(rule(version, section.text, section.severity))
}

/// `[keys] allowed`.
fn keys_rule(section: KeysSection, at: &PolicySource) -> Result<Rule<Vec<AllowedKey>>, String> {
    let mut allowed = vec![];
    for spec in &section.allowed {
        allowed.push(allowed_key(spec.get_ref()).map_err(|message| at.error(spec.span(), message))?);
    }
    if allowed.is_empty() {
        return Err(format!("policy {}: [keys] allows no key at all", at.name));
    }
    Ok(rule(allowed, section.text, section.severity))
}

fn allowed_key(spec: &KeySpec) -> Result<AllowedKey, String> {
    match (spec.kind.to_ascii_uppercase().as_str(), spec.min_bits, &spec.curve) {
        ("RSA", Some(bits), None) if (1024..=16384).contains(&bits) => Ok(AllowedKey::Rsa { min_bits: bits }),
        ("RSA", _, _) => Err("an RSA key needs min_bits between 1024 and 16384, and no curve".into()),
        ("EC", None, Some(curve)) => match nist_curve(curve) {
            Some(curve) => Ok(AllowedKey::Ec { curve: curve.into() }),
            None => Err(format!("curve {curve:?} is not P-256, P-384 or P-521")),
        },
        ("EC", _, _) => Err("an EC key needs a curve, and no min_bits".into()),
        ("ED25519", None, None) => Ok(AllowedKey::Ed25519),
        ("ED448", None, None) => Ok(AllowedKey::Ed448),
        (other, _, _) => Err(format!(
            "key type {other:?} is not RSA, EC, Ed25519 or Ed448 (or takes no size or curve)"
        )),
    }
}

/// `[issuers] allowed`: distinguished names or SPKI pins.
fn issuers_rule(section: IssuersSection, at: &PolicySource) -> Result<Rule<Vec<AllowedIssuer>>, String> {
    let mut allowed = vec![];
    for entry in &section.allowed {
        allowed.push(allowed_issuer(entry.get_ref().trim()).map_err(|message| at.error(entry.span(), message))?);
    }
    Ok(rule(allowed, section.text, section.severity))
}

fn allowed_issuer(value: &str) -> Result<AllowedIssuer, String> {
    match value.strip_prefix("sha256//").or_else(|| value.strip_prefix("sha256/")) {
        Some(encoded) => {
            use base64::Engine;
            match base64::engine::general_purpose::STANDARD.decode(encoded) {
                Ok(hash) if hash.len() == 32 => Ok(AllowedIssuer::SpkiSha256(hash)),
                _ => Err(format!("{value:?} is not sha256// followed by a base64 SHA-256 hash")),
            }
        }
        None if value.contains('=') => Ok(AllowedIssuer::Name(value.to_string())),
        None => Err(format!(
            "{value:?} is neither a distinguished name (CN=...) nor sha256//BASE64"
        )),
    }
}

/// `[lifetime] max_days`.
fn lifetime_rule(section: LifetimeSection, at: &PolicySource) -> Result<Rule<i64>, String> {
    let days = *section.max_days.get_ref();
    if days <= 0 {
        return Err(at.error(section.max_days.span(), format!("max_days {days} is not positive")));
    }
    Ok(rule(days, section.text, section.severity))
}

/// `[findings] forbidden`: check ids.
fn findings_rule(section: FindingsSection, at: &PolicySource) -> Result<Rule<Vec<CheckId>>, String> {
    let mut ids = vec![];
    for id in &section.forbidden {
        let found = CheckId::from_id(id.get_ref()).ok_or_else(|| {
            at.error(
                id.span(),
                format!("{:?} is not a check id (certscan --list-checks)", id.get_ref()),
            )
        })?;
        ids.push(found);
    }
    Ok(rule(ids, section.text, section.severity))
}

/// `[[sans]]`: the names one target's certificate must hold.
fn sans_rule(section: SansSection, at: &PolicySource) -> Result<Rule<(String, Vec<String>)>, String> {
    let target = section.target.get_ref().trim().to_ascii_lowercase();
    if target.is_empty() {
        return Err(at.error(section.target.span(), "target is empty".into()));
    }
    let mut names = vec![];
    for name in &section.required {
        let text = name.get_ref().trim().to_ascii_lowercase();
        if rustls::pki_types::ServerName::try_from(text.as_str()).is_err() {
            return Err(at.error(name.span(), format!("{text:?} is not a DNS name or an IP address")));
        }
        names.push(text);
    }
    Ok(rule((target, names), section.text, section.severity))
}

/// `certscan --list-policies`.
pub fn list() -> String {
    let mut out = String::new();
    for (name, text) in BUILTIN {
        let Ok(policy) = parse(text, name) else { continue };
        out.push_str(&format!(
            "{name}: {}\n",
            policy.description.as_deref().unwrap_or(&policy.name)
        ));
    }
    out
}

impl CompliancePolicy {
    /// A finding for a broken rule: what was seen, then the rule's words (or what it requires).
    fn broken<T>(&self, id: CheckId, rule: &Rule<T>, seen: String, requires: String) -> Finding {
        let rule_text = rule.text.clone().unwrap_or(requires);
        Finding::new(id, format!("{seen}; policy {:?}: {rule_text}", self.name)).with_severity(rule.severity)
    }

    /// The findings for every rule `result` breaks.
    /// `below_minimum` is what the server answered a ClientHello offering only versions below
    /// the policy's minimum, when one was sent.
    pub(crate) fn judge(&self, result: &TargetResult, below_minimum: Option<&LegacyHello>) -> Vec<Finding> {
        let leaf: Option<&CertInfo> = result.chain.first().map(|c| &**c).filter(|c| c.parsed());
        // The TLS version and stapling are judged on endpoints only, not files.
        let endpoint = result.port.is_some();
        let mut findings: Vec<Finding> = Vec::new();
        findings.extend(
            endpoint
                .then(|| self.tls_version_finding(result, below_minimum))
                .flatten(),
        );
        findings.extend(leaf.and_then(|leaf| self.key_finding(leaf)));
        findings.extend(leaf.and_then(|leaf| self.issuer_finding(result, leaf)));
        findings.extend(leaf.and_then(|leaf| self.lifetime_finding(leaf)));
        findings.extend(endpoint.then(|| self.stapling_finding(result)).flatten());
        findings.extend(leaf.map(|leaf| self.san_findings(result, leaf)).unwrap_or_default());
        findings.extend(self.forbidden_findings(result));
        findings
    }

    /// `[tls]`: the version negotiated, one the server also accepts, or only old versions.
    fn tls_version_finding(&self, result: &TargetResult, below_minimum: Option<&LegacyHello>) -> Option<Finding> {
        let rule = self.min_version.as_ref()?;
        let requires = format!(
            "TLS {} or later only",
            version_name(rule.value).trim_start_matches("TLS ")
        );
        let negotiated = result
            .tls
            .as_ref()
            .and_then(|tls| tls_version(tls.version.trim_start_matches("TLSv")));
        let seen = if let Some(version) = negotiated.filter(|v| *v < rule.value) {
            format!("the server negotiated {}", version_name(version))
        } else if let Some(LegacyHello::Accepted { version, .. }) = below_minimum {
            format!(
                "the server also accepts {} (offered alone, it was chosen)",
                version_name(*version)
            )
        } else if result.findings.iter().any(|f| matches!(f.id, CheckId::LegacyOnly)) {
            "the server speaks only TLS 1.0 or 1.1".into()
        } else {
            return None;
        };
        Some(self.broken(CheckId::PolicyTlsVersion, rule, seen, requires))
    }

    /// `[keys]`.
    fn key_finding(&self, leaf: &CertInfo) -> Option<Finding> {
        let rule = self.keys.as_ref()?;
        if rule.value.iter().any(|allowed| allowed.admits(&leaf.key)) {
            return None;
        }
        let allowed: Vec<String> = rule.value.iter().map(AllowedKey::describe).collect();
        let bits = leaf.key.bits.map(|b| format!(" of {b} bits")).unwrap_or_default();
        Some(self.broken(
            CheckId::PolicyKey,
            rule,
            format!("the leaf's key is {}{bits}", leaf.key.kind),
            format!("keys must be {}", allowed.join(" or ")),
        ))
    }

    /// `[issuers]`: the leaf's issuer by name, or any CA above it by the SHA-256 of its key.
    fn issuer_finding(&self, result: &TargetResult, leaf: &CertInfo) -> Option<Finding> {
        let rule = self.issuers.as_ref()?;
        let mut hashes: Vec<Vec<u8>> = result.chain[1..]
            .iter()
            .filter(|c| c.parsed())
            .map(|c| {
                ring::digest::digest(&ring::digest::SHA256, &c.spki_der)
                    .as_ref()
                    .to_vec()
            })
            .collect();
        hashes.extend(result.verification.anchor_spki_sha256.clone());
        let allowed = rule.value.iter().any(|issuer| match issuer {
            AllowedIssuer::Name(name) => same_name(name, &leaf.issuer),
            AllowedIssuer::SpkiSha256(hash) => hashes.contains(hash),
        });
        (!allowed).then(|| {
            self.broken(
                CheckId::PolicyIssuer,
                rule,
                format!("the leaf is issued by {}", leaf.issuer),
                "the issuer is not one the policy allows".into(),
            )
        })
    }

    /// `[lifetime]`.
    fn lifetime_finding(&self, leaf: &CertInfo) -> Option<Finding> {
        let rule = self.max_lifetime_days.as_ref()?;
        let seconds = leaf.not_after_unix - leaf.not_before_unix;
        (seconds > rule.value * 86_400).then(|| {
            self.broken(
                CheckId::PolicyLifetime,
                rule,
                format!(
                    "the leaf is valid for {} days ({} to {})",
                    format_days(seconds),
                    leaf.not_before,
                    leaf.not_after
                ),
                format!("certificates may be valid for {} days at most", rule.value),
            )
        })
    }

    /// `[stapling]`.
    fn stapling_finding(&self, result: &TargetResult) -> Option<Finding> {
        let (rule, revocation) = (self.stapling_required.as_ref()?, result.revocation.as_ref()?);
        let seen = match &revocation.stapled {
            None => "the server staples no OCSP response".to_string(),
            Some(answer) if answer.status != "good" => {
                format!("the stapled OCSP response is {}", answer.status.replace('_', " "))
            }
            Some(_) => return None,
        };
        Some(self.broken(
            CheckId::PolicyStapling,
            rule,
            seen,
            "servers must staple a valid OCSP response".into(),
        ))
    }

    /// `[[sans]]` for this target (by host, or host:port).
    fn san_findings(&self, result: &TargetResult, leaf: &CertInfo) -> Vec<Finding> {
        let host = result.host.as_deref().unwrap_or_default();
        let host_port = result.port.map(|p| format!("{host}:{p}")).unwrap_or_default();
        let mut findings = vec![];
        for rule in &self.sans {
            let (target, names) = &rule.value;
            if *target != host && *target != host_port {
                continue;
            }
            let missing: Vec<&str> = names
                .iter()
                .filter(|name| {
                    rustls::pki_types::ServerName::try_from(name.as_str())
                        .map(|server_name| certscan_x509::trust::valid_for_name(leaf, &server_name).is_err())
                        .unwrap_or(true)
                })
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                findings.push(self.broken(
                    CheckId::PolicySan,
                    rule,
                    format!("the leaf is not valid for {}", missing.join(", ")),
                    format!("the certificate of {target} must cover {}", names.join(", ")),
                ));
            }
        }
        findings
    }

    /// `[findings]`: each forbidden check found.
    fn forbidden_findings(&self, result: &TargetResult) -> Vec<Finding> {
        let Some(rule) = &self.forbidden else { return vec![] };
        let mut present: Vec<CheckId> = result
            .findings
            .iter()
            .map(|f| f.id)
            .filter(|id| rule.value.contains(id))
            .collect();
        present.dedup();
        present
            .into_iter()
            .map(|id| {
                self.broken(
                    CheckId::PolicyForbiddenFinding,
                    rule,
                    format!("{id} was found"),
                    format!("{id} is forbidden"),
                )
            })
            .collect()
    }
}

/// Distinguished names compared as x509-parser prints them, ignoring case and spaces after
/// commas.
fn same_name(a: &str, b: &str) -> bool {
    let normal = |s: &str| {
        s.split(',')
            .map(|part| part.trim().to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    normal(a) == normal(b)
}

fn format_days(seconds: i64) -> String {
    let days = seconds as f64 / 86_400.0;
    if days.fract().abs() < 0.01 {
        format!("{}", days.round() as i64)
    } else {
        format!("{days:.1}")
    }
}

/// Every rule of `--policy` the result breaks.
pub(crate) fn check(source: &crate::Enriched, policy: &crate::Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    use certscan_model::evidence::Observation;
    let Some(compliance) = &policy.compliance else { return };
    if matches!(evidence.observation, Observation::InternalError { .. }) {
        return;
    }
    let below_minimum = match &evidence.observation {
        Observation::Chain {
            handshake: Some(facts), ..
        } => facts.below_minimum.as_ref().map(|(_, answer)| answer),
        _ => None,
    };
    let broken = compliance.judge(result, below_minimum);
    result.findings.extend(broken);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policies_are_valid() {
        for (name, text) in BUILTIN {
            let policy = parse(text, name).unwrap_or_else(|e| panic!("{e}"));
            assert!(!policy.name.is_empty());
        }
    }

    #[test]
    fn mistakes_are_said_with_their_line() {
        let cases = [
            (
                "name = \"x\"\n[tls]\nmin_version = \"1.5\"\n",
                "line 3",
                "not a TLS version",
            ),
            (
                "name = \"x\"\n\n[keys]\nallowed = [{ type = \"RSA\" }]\n",
                "line 4",
                "min_bits",
            ),
            (
                "name = \"x\"\n[keys]\nallowed = [{ type = \"EC\", curve = \"P-192\" }]\n",
                "line 3",
                "P-192",
            ),
            (
                "name = \"x\"\n[issuers]\nallowed = [\"sha256//abc\"]\n",
                "line 3",
                "base64",
            ),
            (
                "name = \"x\"\n[issuers]\nallowed = [\"Let's Encrypt\"]\n",
                "line 3",
                "distinguished name",
            ),
            ("name = \"x\"\n[lifetime]\nmax_days = 0\n", "line 3", "not positive"),
            (
                "name = \"x\"\n[findings]\nforbidden = [\n  \"chain.incomplete\",\n  \"tls.nope\",\n]\n",
                "line 5",
                "not a check id",
            ),
            (
                "name = \"x\"\n[[sans]]\ntarget = \"a\"\nrequired = [\"not a name!\"]\n",
                "line 4",
                "not a DNS name",
            ),
            (
                "name = \"x\"\n[tls]\nmin_versoin = \"1.2\"\n",
                "line 3",
                "unknown field",
            ),
            (
                "name = \"x\"\n[tls]\nmin_version = \"1.2\"\nseverity = \"fatal\"\n",
                "line 4",
                "unknown variant",
            ),
            ("name = \"x\"\nname = \"y\"\n", "line 2", "duplicate"),
            ("[tls]\nmin_version = \"1.2\"\n", "", "missing field `name`"),
        ];
        for (text, line, message) in cases {
            let error = parse(text, "p.toml").unwrap_err();
            assert!(
                error.starts_with("policy p.toml") && error.contains(line) && error.contains(message),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn keys_and_names() {
        let rsa = certscan_x509::certificate::KeyInfo {
            kind: "RSA".into(),
            bits: Some(2048),
        };
        let p256 = certscan_x509::certificate::KeyInfo {
            kind: "EC prime256v1".into(),
            bits: Some(256),
        };
        assert!(AllowedKey::Rsa { min_bits: 2048 }.admits(&rsa));
        assert!(!AllowedKey::Rsa { min_bits: 3072 }.admits(&rsa));
        assert!(AllowedKey::Ec { curve: "P-256".into() }.admits(&p256));
        assert!(!AllowedKey::Ec { curve: "P-384".into() }.admits(&p256));
        assert!(same_name(
            "CN=R11, O=Let's Encrypt, C=US",
            "cn=R11,O=Let's Encrypt,  C=US"
        ));
        assert!(!same_name("CN=R11", "CN=R10"));
        assert_eq!(tls_version("TLSv1.2"), Some(0x0303));
        assert_eq!(version_name(0x0302), "TLS 1.1");
    }
}
