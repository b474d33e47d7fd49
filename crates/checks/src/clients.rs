//! Who connects: what each family of TLS clients does with a target, and the severity that
//! follows from it. The families and the settings that decide for them (library, security
//! level, trust behaviour, versions) are data, `checks/data/clients.toml`, each setting with the
//! client's documentation or code as its source; what is wrong with a target comes from its
//! findings and chain. A setting the data does not give makes the outcome unknown, never "works".
//!
//! Severity has two axes: compatibility (CRITICAL when a deciding family fails, WARNING when
//! only other families fail or when a deciding family's outcome is unknown) and security (what
//! an attacker gains, e.g. a revoked certificate that clients still accept). A finding takes the
//! worse of the two, and its text says which families fail, how, and which axis decided.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use certscan_model::finding::{CheckId, Finding, Refusal};
use certscan_model::status::Severity;
use certscan_x509::certificate::CertInfo;
use serde::Deserialize;

use crate::{TargetResult, leaf_rules, names};

/// SHA-1 certificate signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sha1Rule {
    Refused,
    Accepted,
    /// Refused in chains to the client's own (built-in) roots, accepted under roots the user added.
    PrivateAnchorsOnly,
}

/// A protocol version, as the oldest a client offers or the newest a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "1.0")]
    Tls10,
    #[serde(rename = "1.1")]
    Tls11,
    #[serde(rename = "1.2")]
    Tls12,
}

impl TlsVersion {
    fn name(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "TLS 1.0",
            TlsVersion::Tls11 => "TLS 1.1",
            TlsVersion::Tls12 => "TLS 1.2",
        }
    }

    /// From the version names the probe records (`TLSv1.0`); SSL 3.0 is older than all.
    fn parse(name: &str) -> Option<Option<TlsVersion>> {
        match name {
            "TLSv1.0" => Some(Some(TlsVersion::Tls10)),
            "TLSv1.1" => Some(Some(TlsVersion::Tls11)),
            "SSLv3" | "SSL 3.0" => Some(None),
            _ => None,
        }
    }
}

/// One family of clients: its members and the settings that decide whether they connect.
/// Each setting is `None` when not known.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    pub id: String,
    pub name: String,
    /// Families of one group are named together by `--clients` (e.g. `browsers`); a family of
    /// the user's own (`--clients-file`) is its own group unless it says otherwise.
    #[serde(default)]
    pub group: String,
    /// Decides the exit code unless `--clients` names the families that do.
    #[serde(default)]
    pub mainstream: bool,
    #[serde(default)]
    pub versions: String,
    #[serde(default)]
    pub examples: Vec<String>,
    pub aia_fetch: Option<bool>,
    pub preloaded_intermediates: Option<bool>,
    pub cn_fallback: Option<bool>,
    pub min_rsa_bits: Option<u32>,
    pub sha1: Option<Sha1Rule>,
    pub min_tls: Option<TlsVersion>,
    pub x509_strict: Option<bool>,
    pub cbc_sha1: Option<bool>,
    pub cbc_sha2: Option<bool>,
    pub rsa_kex: Option<bool>,
    pub dhe_min_bits: Option<u32>,
    pub triple_des: Option<bool>,
    pub rc4: Option<bool>,
    pub must_staple: Option<bool>,
    pub checks_revocation: Option<bool>,
    pub builds_path: Option<bool>,
    pub partial_chain: Option<bool>,
    pub ca_key_usage: Option<bool>,
    pub anchor_eku: Option<bool>,
    pub anchor_dates: Option<bool>,
    pub intermediate_eku: Option<bool>,
    pub refuses_empty_issuer: Option<bool>,
    /// Validates paths with rustls-webpki, certscan's own validator: it refuses what certscan's
    /// verifier refuses.
    pub webpki: Option<bool>,
    pub refuses_negative_serial: Option<bool>,
    pub refuses_empty_name_constraints: Option<bool>,
    pub requires_server_auth_eku: Option<bool>,
    /// Longest validity accepted for a leaf, in days; 0 for no limit.
    pub max_validity_days: Option<u32>,
    /// The two rules above hold for leaves issued (notBefore) on or after this date.
    pub leaf_rules_from: Option<toml::value::Datetime>,
    /// Where each setting comes from, by setting name.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    family: Vec<Family>,
}

/// Families described by the user (`--clients-file`), set once before any analysis.
static USER_FAMILIES: OnceLock<Vec<Family>> = OnceLock::new();

/// The families of `checks/data/clients.toml`, in its order, then the user's own.
pub fn families() -> &'static [Family] {
    static FAMILIES: OnceLock<Vec<Family>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        let text = include_str!("../../../checks/data/clients.toml");
        // The file is part of the binary and a test parses it: it cannot fail here.
        let mut all = toml::from_str::<FamilyFile>(text).map(|f| f.family).unwrap_or_default();
        all.extend(USER_FAMILIES.get().into_iter().flatten().cloned());
        all
    })
}

/// Adds the families a user describes in `text` (the format of `checks/data/clients.toml`:
/// `[[family]]` tables with an `id`, a `name` and the settings they know), read from `source`.
/// Called once, before anything asks for the families.
pub fn add_user_families(text: &str, source: &str) -> Result<(), String> {
    let file: FamilyFile = toml::from_str(text).map_err(|e| format!("{source}: {e}"))?;
    let builtin: FamilyFile =
        toml::from_str(include_str!("../../../checks/data/clients.toml")).map_err(|e| e.to_string())?;
    let mut seen: Vec<String> = builtin
        .family
        .iter()
        .flat_map(|f| [f.id.clone(), f.group.clone()])
        .collect();
    seen.push("all".into());
    let mut added = vec![];
    for mut family in file.family {
        if family.id.is_empty() || seen.contains(&family.id) {
            return Err(format!(
                "{source}: the family id {:?} is empty or already taken (certscan --list-clients lists the ids in use)",
                family.id
            ));
        }
        if family.group.is_empty() {
            family.group = family.id.clone();
        }
        seen.push(family.id.clone());
        added.push(family);
    }
    USER_FAMILIES
        .set(added)
        .map_err(|_| format!("{source}: the client families were already read"))
}

/// The families `--clients` names: family ids, group names (`browsers`, `openssl-based`) or
/// `all`.
/// An unknown name is an error that lists the known ones.
pub fn select(names: &[String]) -> Result<Vec<String>, String> {
    let mut chosen = Vec::new();
    for name in names {
        let name = name.trim().to_ascii_lowercase();
        let matching: Vec<&Family> = families()
            .iter()
            .filter(|f| name == "all" || f.id == name || f.group == name)
            .collect();
        if matching.is_empty() {
            let mut known: Vec<&str> = families().iter().map(|f| f.id.as_str()).collect();
            for family in families() {
                if !known.contains(&family.group.as_str()) {
                    known.push(&family.group);
                }
            }
            return Err(format!(
                "unknown client family {name:?}: the families are {}, or all",
                known.join(", ")
            ));
        }
        for family in matching {
            if !chosen.contains(&family.id) {
                chosen.push(family.id.clone());
            }
        }
    }
    Ok(chosen)
}

/// The families as `--list-clients` shows them: each with its members, versions, and every
/// setting it gives with the source; settings it does not give are listed as not known.
pub fn list() -> String {
    const SETTINGS: [&str; 28] = [
        "aia_fetch",
        "preloaded_intermediates",
        "cn_fallback",
        "min_rsa_bits",
        "sha1",
        "min_tls",
        "x509_strict",
        "cbc_sha1",
        "cbc_sha2",
        "rsa_kex",
        "dhe_min_bits",
        "triple_des",
        "rc4",
        "must_staple",
        "checks_revocation",
        "builds_path",
        "partial_chain",
        "ca_key_usage",
        "anchor_eku",
        "anchor_dates",
        "intermediate_eku",
        "refuses_empty_issuer",
        "webpki",
        "refuses_negative_serial",
        "refuses_empty_name_constraints",
        "requires_server_auth_eku",
        "max_validity_days",
        "leaf_rules_from",
    ];
    let mut out = String::new();
    for family in families() {
        let deciding = if family.mainstream { ", decides by default" } else { "" };
        out.push_str(&format!(
            "{} ({}): {}{deciding}\n  versions: {}\n  members: {}\n",
            family.id,
            family.group,
            family.name,
            family.versions,
            family.examples.join(", ")
        ));
        let mut unknown = vec![];
        for setting in SETTINGS {
            match (family.setting(setting), family.sources.get(setting)) {
                (Some(value), Some(source)) => out.push_str(&format!("  {setting} = {value}  ({source})\n")),
                _ => unknown.push(setting),
            }
        }
        if !unknown.is_empty() {
            out.push_str(&format!("  not known: {}\n", unknown.join(", ")));
        }
        out.push('\n');
    }
    out
}

impl Family {
    /// One setting's value as the data file writes it; `None` when the family does not give it.
    fn setting(&self, name: &str) -> Option<String> {
        let flag = |v: Option<bool>| v.map(|v| v.to_string());
        match name {
            "aia_fetch" => flag(self.aia_fetch),
            "preloaded_intermediates" => flag(self.preloaded_intermediates),
            "cn_fallback" => flag(self.cn_fallback),
            "min_rsa_bits" => self.min_rsa_bits.map(|v| v.to_string()),
            "sha1" => self.sha1.map(|v| {
                match v {
                    Sha1Rule::Refused => "refused",
                    Sha1Rule::Accepted => "accepted",
                    Sha1Rule::PrivateAnchorsOnly => "private-anchors-only",
                }
                .to_string()
            }),
            "min_tls" => self.min_tls.map(|v| v.name().to_string()),
            "x509_strict" => flag(self.x509_strict),
            "cbc_sha1" => flag(self.cbc_sha1),
            "cbc_sha2" => flag(self.cbc_sha2),
            "rsa_kex" => flag(self.rsa_kex),
            "dhe_min_bits" => self.dhe_min_bits.map(|v| v.to_string()),
            "triple_des" => flag(self.triple_des),
            "rc4" => flag(self.rc4),
            "must_staple" => flag(self.must_staple),
            "checks_revocation" => flag(self.checks_revocation),
            "builds_path" => flag(self.builds_path),
            "partial_chain" => flag(self.partial_chain),
            "ca_key_usage" => flag(self.ca_key_usage),
            "anchor_eku" => flag(self.anchor_eku),
            "anchor_dates" => flag(self.anchor_dates),
            "intermediate_eku" => flag(self.intermediate_eku),
            "refuses_empty_issuer" => flag(self.refuses_empty_issuer),
            "webpki" => flag(self.webpki),
            "refuses_negative_serial" => flag(self.refuses_negative_serial),
            "refuses_empty_name_constraints" => flag(self.refuses_empty_name_constraints),
            "requires_server_auth_eku" => flag(self.requires_server_auth_eku),
            "max_validity_days" => self.max_validity_days.map(|v| v.to_string()),
            "leaf_rules_from" => self.leaf_rules_from.map(|v| v.to_string()),
            _ => None,
        }
    }
}

/// The families that decide the exit code when `--clients` is not given.
pub fn mainstream() -> Vec<String> {
    families()
        .iter()
        .filter(|f| f.mainstream)
        .map(|f| f.id.clone())
        .collect()
}

/// What a family does with a target, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Works,
    /// Connects only with help: a fetched intermediate, a client certificate.
    Degraded,
    /// The data does not say what this family does here.
    Unknown,
    Fails,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Works => "works",
            Outcome::Degraded => "degraded",
            Outcome::Unknown => "unknown",
            Outcome::Fails => "fails",
        }
    }
}

/// Why a family gets its outcome: one finding and what the family does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// `None` when the target was not reached.
    pub check: Option<CheckId>,
    pub outcome: Outcome,
    pub how: String,
}

/// One family's verdict on a target.
#[derive(Debug, Clone)]
pub struct FamilyVerdict {
    pub family: &'static Family,
    pub outcome: Outcome,
    /// Only the reasons as bad as the outcome.
    pub reasons: Vec<Reason>,
    /// Whether this family decides the exit code in this run.
    pub deciding: bool,
}

/// A property of the target that clients treat differently.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Untrusted {
        self_signed: bool,
    },
    Incomplete {
        ca_issuers_url: Option<String>,
    },
    Expired,
    NotYetValid,
    NameNotCovered {
        name: String,
    },
    NameInCommonNameOnly {
        name: String,
    },
    SmallRsaKey {
        bits: u32,
    },
    WeakHash {
        md5: bool,
        public_root: bool,
    },
    OldProtocol {
        version: Option<TlsVersion>,
    },
    /// The suite's traits, its name, and with DHE the group's size when it was read.
    Suite {
        traits: Vec<SuiteTrait>,
        name: String,
        dh_bits: Option<u32>,
    },
    UncommonGroup {
        name: String,
    },
    ClientCertificateRequired,
    /// Certificates sent out of order, or that the path does not need.
    ChainShape,
    /// The path ends at a trusted certificate that is not a self-signed root.
    AnchorNotRoot,
    /// The trust anchor's extendedKeyUsage leaves out serverAuth.
    AnchorPurpose,
    /// The trust anchor is outside its validity period.
    AnchorOutOfDate,
    /// An extendedKeyUsage on the path that leaves out serverAuth: the leaf's, or an
    /// intermediate's.
    ServerAuthLeftOut {
        in_leaf: bool,
    },
    /// A certificate of the path with an empty issuer name (its issuer's subject is empty).
    EmptyIssuerName,
    /// certscan's path validator refused the chain for a reason other than a missing issuer
    /// (the finding says which), and whether every path validator refuses the same.
    PathRefused {
        by_every_validator: bool,
    },
    /// A CA of the path whose keyUsage leaves out keyCertSign.
    CaCannotSign,
    StrictProfile,
    NegativeSerial,
    EmptyNameConstraints,
    /// A leaf without extendedKeyUsage, issued at this time.
    LeafWithoutEku {
        not_before_unix: i64,
    },
    /// A leaf valid for this many days, issued at this time.
    LongLifetime {
        days: i64,
        not_before_unix: i64,
    },
    Revoked,
    MustStapleMissing,
    BadHandshakeSignature,
}

/// What makes a TLS 1.2 suite one that some clients refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SuiteTrait {
    Rc4,
    TripleDes,
    Dhe,
    RsaKeyExchange,
    CbcSha1,
    CbcSha2,
    /// NULL encryption, export-grade or anonymous suites: no current client offers them.
    Broken,
}

impl SuiteTrait {
    /// From an IANA suite name, `TLS_{kex}_WITH_{cipher}_{mac}`.
    fn of(name: &str) -> Vec<SuiteTrait> {
        let Some((kex, rest)) = name.trim_start_matches("TLS_").split_once("_WITH_") else {
            return vec![];
        };
        let mut traits = vec![];
        if kex.contains("EXPORT") || kex.contains("anon") || rest.starts_with("NULL") {
            traits.push(SuiteTrait::Broken);
        }
        if kex == "RSA" {
            traits.push(SuiteTrait::RsaKeyExchange);
        }
        if kex.starts_with("DHE") {
            traits.push(SuiteTrait::Dhe);
        }
        if rest.starts_with("RC4") {
            traits.push(SuiteTrait::Rc4);
        } else if rest.starts_with("3DES") {
            traits.push(SuiteTrait::TripleDes);
        } else if rest.contains("_CBC_") {
            traits.push(if rest.ends_with("_SHA") {
                SuiteTrait::CbcSha1
            } else {
                SuiteTrait::CbcSha2
            });
        }
        traits
    }
}

impl Condition {
    /// What a family does with this condition, and how it says so.
    fn effect(&self, f: &Family) -> (Outcome, String) {
        use Outcome::*;
        let unknown = |what: &str| (Unknown, format!("not known ({what})"));
        match self {
            Condition::Untrusted { self_signed: true } => (Fails, "self-signed certificate".into()),
            Condition::Untrusted { self_signed: false } => {
                (Fails, "unable to get local issuer certificate (no trusted root)".into())
            }
            Condition::Incomplete { ca_issuers_url } => {
                match (f.aia_fetch, ca_issuers_url, f.preloaded_intermediates) {
                    (Some(true), Some(url), _) => (Degraded, format!("fetches the missing intermediate from {url}")),
                    (_, _, Some(true)) => (
                        Unknown,
                        "works only if the missing intermediate is a public CA's, which it preloads".into(),
                    ),
                    (Some(true), None, Some(false)) | (Some(false), _, Some(false)) => {
                        (Fails, "unable to get local issuer certificate".into())
                    }
                    _ => unknown("whether it completes a chain"),
                }
            }
            Condition::Expired => (Fails, "certificate has expired".into()),
            Condition::NotYetValid => (Fails, "certificate is not yet valid".into()),
            Condition::NameNotCovered { name } => (Fails, format!("the certificate is not valid for {name}")),
            Condition::NameInCommonNameOnly { name } => match f.cn_fallback {
                Some(true) => (Works, format!("reads {name} from the Common Name")),
                Some(false) => (Fails, format!("{name} is only in the Common Name, which it ignores")),
                None => unknown("whether it reads the Common Name"),
            },
            Condition::SmallRsaKey { bits } => match f.min_rsa_bits {
                Some(min) if *bits < min => (Fails, format!("refuses RSA keys under {min} bits")),
                Some(min) => (Works, format!("accepts RSA keys from {min} bits")),
                None => unknown("its smallest RSA key"),
            },
            Condition::WeakHash { md5: true, .. } => match f.sha1 {
                Some(_) => (Fails, "refuses MD5 signatures".into()),
                None => unknown("which signature hashes it accepts"),
            },
            Condition::WeakHash {
                md5: false,
                public_root,
            } => match (f.sha1, public_root) {
                (Some(Sha1Rule::Refused), _) | (Some(Sha1Rule::PrivateAnchorsOnly), true) => {
                    (Fails, "refuses SHA-1 signatures".into())
                }
                (Some(Sha1Rule::PrivateAnchorsOnly), false) => {
                    (Works, "accepts SHA-1 below a root it was given".into())
                }
                (Some(Sha1Rule::Accepted), _) => (Works, "accepts SHA-1 signatures".into()),
                (None, _) => unknown("whether it accepts SHA-1 signatures"),
            },
            Condition::OldProtocol { version } => match (f.min_tls, version) {
                (Some(min), Some(spoken)) if min <= *spoken => (Works, format!("still offers {}", spoken.name())),
                (Some(min), _) => (Fails, format!("offers {} and later only", min.name())),
                (None, _) => unknown("the oldest version it offers"),
            },
            Condition::Suite { traits, name, dh_bits } => traits
                .iter()
                .map(|t| suite_effect(*t, f, name, *dh_bits))
                .max_by_key(|(outcome, _)| *outcome)
                .unwrap_or_else(|| unknown("which suites it offers")),
            Condition::UncommonGroup { name } => unknown(&format!("whether it offers the group {name}")),
            Condition::ClientCertificateRequired => (
                Degraded,
                "connects only with a client certificate the server accepts".into(),
            ),
            Condition::ChainShape => match f.builds_path {
                Some(true) => (
                    Works,
                    "builds its path from the certificates sent, in any order, and leaves the others".into(),
                ),
                Some(false) => (Fails, "reads the chain in the order sent".into()),
                None => unknown("whether it reorders the chain and leaves what it does not need"),
            },
            Condition::AnchorNotRoot => refusal(
                f.partial_chain.map(|on| !on),
                "unable to get issuer certificate (it needs the self-signed root: partial chains are off)",
                "ends the chain at any certificate it trusts",
                "whether it ends the chain at a trusted certificate that is not a root",
            ),
            Condition::AnchorPurpose => refusal(
                f.anchor_eku,
                "unsuitable certificate purpose (it reads the trust anchor's extendedKeyUsage)",
                "does not read the trust anchor's extendedKeyUsage",
                "whether it reads the trust anchor's extendedKeyUsage",
            ),
            Condition::ServerAuthLeftOut { in_leaf: true } => (
                Fails,
                "unsuitable certificate purpose (the leaf's extendedKeyUsage leaves out serverAuth)".into(),
            ),
            Condition::ServerAuthLeftOut { in_leaf: false } => refusal(
                f.intermediate_eku,
                "unsuitable certificate purpose (it reads the intermediates' extendedKeyUsage)",
                "does not read an intermediate's extendedKeyUsage",
                "whether it reads an intermediate's extendedKeyUsage",
            ),
            Condition::PathRefused {
                by_every_validator: true,
            } => (Fails, "refuses the path, as every path validator does".into()),
            Condition::PathRefused { .. } => match f.webpki {
                Some(true) => (Fails, "refuses the path (it validates with rustls-webpki)".into()),
                _ => unknown("whether it accepts what rustls-webpki refuses here"),
            },
            Condition::EmptyIssuerName => refusal(
                f.refuses_empty_issuer,
                "refuses a certificate whose issuer name is empty",
                "accepts an empty issuer name",
                "whether it accepts an empty issuer name",
            ),
            Condition::AnchorOutOfDate => refusal(
                f.anchor_dates,
                "certificate has expired (it checks the trust anchor's dates)",
                "does not read the trust anchor's dates",
                "whether it checks the trust anchor's dates",
            ),
            Condition::CaCannotSign => refusal(
                f.ca_key_usage,
                "invalid CA certificate (its keyUsage forbids signing certificates)",
                "does not read a CA's keyUsage",
                "whether it reads a CA's keyUsage",
            ),
            Condition::NegativeSerial => refusal(
                f.refuses_negative_serial,
                "its parser refuses a negative serial number",
                "accepts a negative serial number",
                "whether it accepts a negative serial number",
            ),
            Condition::EmptyNameConstraints => refusal(
                f.refuses_empty_name_constraints,
                "its parser refuses an empty name constraints extension",
                "accepts an empty name constraints extension",
                "whether it accepts an empty name constraints extension",
            ),
            Condition::LeafWithoutEku { not_before_unix } | Condition::LongLifetime { not_before_unix, .. }
                if !leaf_rules::rules_apply(f, *not_before_unix) =>
            {
                (
                    Works,
                    format!(
                        "holds leaves issued before {} to no such rule",
                        leaf_rules::rules_start(f)
                    ),
                )
            }
            Condition::LeafWithoutEku { .. } => refusal(
                f.requires_server_auth_eku,
                "requires serverAuth in the leaf's extendedKeyUsage",
                "takes a leaf without extendedKeyUsage for any purpose",
                "whether it requires an extendedKeyUsage in the leaf",
            ),
            Condition::LongLifetime { days, .. } => match f.max_validity_days {
                Some(0) => (Works, "sets no longest validity".into()),
                Some(max) if *days > i64::from(max) => {
                    (Fails, format!("refuses leaves valid for more than {max} days"))
                }
                Some(max) => (Works, format!("accepts leaves valid for up to {max} days")),
                None => unknown("the longest validity it accepts"),
            },
            Condition::StrictProfile => refusal(
                f.x509_strict,
                "its strict RFC 5280 checks refuse the chain",
                "makes no strict RFC 5280 checks",
                "whether it makes strict RFC 5280 checks",
            ),
            Condition::Revoked => refusal(
                f.checks_revocation,
                "refuses the revoked certificate",
                "does not check revocation by default",
                "whether it checks revocation",
            ),
            Condition::MustStapleMissing => refusal(
                f.must_staple,
                "requires the stapled OCSP response a must-staple certificate asks for",
                "does not enforce must-staple",
                "whether it enforces must-staple",
            ),
            Condition::BadHandshakeSignature => (Fails, "the handshake signature does not verify".into()),
        }
    }

    /// The security axis: what the condition gives an attacker, whoever connects.
    fn security(&self) -> Severity {
        match self {
            Condition::Revoked | Condition::BadHandshakeSignature => Severity::Critical,
            Condition::SmallRsaKey { bits } if *bits < 1024 => Severity::Critical,
            Condition::SmallRsaKey { .. } => Severity::Warning,
            Condition::WeakHash { md5: true, .. } => Severity::Critical,
            Condition::WeakHash { md5: false, .. } | Condition::OldProtocol { .. } => Severity::Warning,
            Condition::Suite { traits, .. }
                if traits
                    .iter()
                    .any(|t| matches!(t, SuiteTrait::Rc4 | SuiteTrait::TripleDes | SuiteTrait::Broken)) =>
            {
                Severity::Critical
            }
            _ => Severity::Info,
        }
    }

    /// What the security axis says, when it is what raised the severity.
    fn security_reason(&self) -> &'static str {
        match self {
            Condition::Revoked => "its CA revoked it, so whoever holds its key can impersonate the server",
            Condition::BadHandshakeSignature => "the server does not prove it holds the certificate's key",
            Condition::SmallRsaKey { .. } => "a key this small can be factored",
            Condition::WeakHash { .. } => "a signature over a broken hash can be forged",
            Condition::OldProtocol { .. } => "RFC 8996 deprecates TLS 1.0 and 1.1",
            _ => "the suite's cipher is broken",
        }
    }
}

/// A family's yes-or-no setting that says whether it refuses something: how it fails, how it
/// works, and what is not known when the data does not say.
fn refusal(refuses: Option<bool>, fails: &str, works: &str, not_known: &str) -> (Outcome, String) {
    match refuses {
        Some(true) => (Outcome::Fails, fails.to_string()),
        Some(false) => (Outcome::Works, works.to_string()),
        None => (Outcome::Unknown, format!("not known ({not_known})")),
    }
}

fn suite_effect(t: SuiteTrait, f: &Family, name: &str, dh_bits: Option<u32>) -> (Outcome, String) {
    let setting = match t {
        SuiteTrait::Rc4 => f.rc4,
        SuiteTrait::TripleDes => f.triple_des,
        SuiteTrait::RsaKeyExchange => f.rsa_kex,
        SuiteTrait::CbcSha1 => f.cbc_sha1,
        SuiteTrait::CbcSha2 => f.cbc_sha2,
        SuiteTrait::Broken => f.rc4.or(f.triple_des).map(|_| false),
        SuiteTrait::Dhe => {
            return match (f.dhe_min_bits, dh_bits) {
                (Some(0), _) => (Outcome::Fails, "has no DHE suites".into()),
                (Some(min), Some(bits)) if bits < min => {
                    (Outcome::Fails, format!("refuses DH groups under {min} bits"))
                }
                (Some(min), Some(_)) => (Outcome::Works, format!("accepts DH groups from {min} bits")),
                (Some(min), None) => (
                    Outcome::Unknown,
                    format!("works only if the server's DH group has at least {min} bits"),
                ),
                (None, _) => (Outcome::Unknown, "not known (whether it offers DHE)".into()),
            };
        }
    };
    match setting {
        Some(true) => (Outcome::Works, format!("offers {name}")),
        Some(false) => (Outcome::Fails, format!("does not offer {name}")),
        None => (Outcome::Unknown, format!("not known (whether it offers {name})")),
    }
}

/// The conditions behind one finding. A finding whose check judged it below its catalog
/// severity (a self-signed leaf trusted as given, an expired certificate the path does not
/// use) keeps that verdict: it gets no condition.
fn conditions_of(finding: &Finding, result: &TargetResult) -> Vec<Condition> {
    let default = certscan_model::catalog::entry(finding.id).severity;
    // Of another certificate (sent to one key type's clients only): the conditions below read
    // the chain the report shows, so they do not apply.
    if finding.severity != default || finding.of_other_certificate {
        return vec![];
    }
    let leaf = result.chain.first().map(|c| &**c);
    // What the check itself says some clients refuse, whatever its id.
    if let Some(refusal) = finding.refusal {
        return vec![match refusal {
            Refusal::StrictProfile => Condition::StrictProfile,
            Refusal::NegativeSerial => Condition::NegativeSerial,
            Refusal::EmptyNameConstraints => Condition::EmptyNameConstraints,
            Refusal::EmptyIssuerName => Condition::EmptyIssuerName,
        }];
    }
    match finding.id {
        CheckId::SelfSigned => vec![Condition::Untrusted { self_signed: true }],
        // certscan's verifier refuses what some clients accept (SHA-1, small RSA keys): the chain
        // is then judged by those properties, family by family.
        CheckId::Untrusted if unsupported_algorithm(result) => {
            let weak = algorithm_conditions(result);
            match weak.is_empty() {
                true => vec![Condition::Untrusted { self_signed: false }],
                false => weak,
            }
        }
        // The path validator's own words: an extendedKeyUsage on the path without serverAuth.
        CheckId::Untrusted if finding.detail.contains("RequiredEkuNotFound") => vec![Condition::ServerAuthLeftOut {
            in_leaf: leaf.is_some_and(|l| l.has_extended_key_usage && !l.server_auth),
        }],
        CheckId::Untrusted => vec![path_refused(&finding.detail)],
        CheckId::UnknownRoot => vec![Condition::Untrusted { self_signed: false }],
        CheckId::ChainIncomplete => vec![Condition::Incomplete {
            ca_issuers_url: leaf.and_then(|l| l.ca_issuers_urls.first().cloned()),
        }],
        CheckId::Expired => vec![Condition::Expired],
        CheckId::NotYetValid => vec![Condition::NotYetValid],
        CheckId::NameMismatch => leaf.map(|l| name_conditions(l, result)).unwrap_or_default(),
        // The certificate's own fault: names it holds only in the CN (a name it does not hold
        // at all is the mismatch's).
        CheckId::CnOnly => leaf
            .map(|l| name_conditions(l, result))
            .unwrap_or_default()
            .into_iter()
            .filter(|c| matches!(c, Condition::NameInCommonNameOnly { .. }))
            .collect(),
        CheckId::WeakKey => smallest_rsa_key(&result.chain)
            .map(|bits| vec![Condition::SmallRsaKey { bits }])
            .unwrap_or_default(),
        CheckId::WeakSignature => vec![weak_hash(result)],
        CheckId::LegacyOnly => vec![Condition::OldProtocol {
            version: result
                .tls
                .as_ref()
                .and_then(|t| TlsVersion::parse(&t.version))
                .flatten(),
        }],
        CheckId::ObsoleteOnly => suite_conditions(result),
        CheckId::ClientCertRequired => vec![Condition::ClientCertificateRequired],
        CheckId::ChainOrder | CheckId::ExtraCert => vec![Condition::ChainShape],
        CheckId::AnchorNotRoot => vec![Condition::AnchorNotRoot],
        CheckId::NoExtendedKeyUsage => leaf
            .map(|l| Condition::LeafWithoutEku {
                not_before_unix: l.not_before_unix,
            })
            .into_iter()
            .collect(),
        CheckId::LifetimeTooLong => leaf
            .map(|l| Condition::LongLifetime {
                days: leaf_rules::validity_days(l),
                not_before_unix: l.not_before_unix,
            })
            .into_iter()
            .collect(),
        CheckId::AnchorPurpose => vec![Condition::AnchorPurpose],
        CheckId::AnchorOutOfDate => vec![Condition::AnchorOutOfDate],
        CheckId::CaCannotSign => vec![Condition::CaCannotSign],
        CheckId::Revoked => vec![Condition::Revoked],
        CheckId::OcspMustStapleMissing => vec![Condition::MustStapleMissing],
        CheckId::SignatureInvalid => vec![Condition::BadHandshakeSignature],
        _ => vec![],
    }
}

/// Path-validation refusals that every validator shares: RFC 5280 path validation as OpenSSL
/// (crypto/x509/x509_vfy.c), Go (crypto/x509/verify.go), Java (PKIXCertPathValidator) and the
/// browsers do it, like rustls-webpki; tests/clients.rs serves an unknown critical extension to
/// the real clients.
const REFUSED_BY_EVERY_VALIDATOR: &[&str] = &[
    "UnknownIssuer",
    "InvalidSignatureForPublicKey",
    "EndEntityUsedAsCa",
    "PathLenConstraintViolated",
    "NameConstraintViolation",
    "CertExpired",
    "CertNotValidYet",
    "UnsupportedCriticalExtension",
];

/// The condition of a chain.untrusted finding. One worded by certscan itself (a loop, no
/// certificate) holds for every client; one in the path validator's words ends with the
/// validator's error name in parentheses, and holds for every client only when every validator
/// refuses the same.
fn path_refused(detail: &str) -> Condition {
    let validator_error = detail
        .strip_suffix(')')
        .and_then(|d| d.rsplit_once('('))
        .map(|(_, name)| name)
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()));
    match validator_error {
        Some("UnknownIssuer") => Condition::Untrusted { self_signed: false },
        Some(name) => Condition::PathRefused {
            by_every_validator: REFUSED_BY_EVERY_VALIDATOR.contains(&name.trim_end_matches("Context")),
        },
        None => Condition::PathRefused {
            by_every_validator: true,
        },
    }
}

fn weak_hash(result: &TargetResult) -> Condition {
    Condition::WeakHash {
        md5: result
            .chain
            .iter()
            .any(|c| !c.self_signed && crate::crypto::MD_SIGNATURES.contains(&c.signature_oid.as_str())),
        public_root: result.verification.public,
    }
}

/// Whether certscan's verifier refused the chain for an algorithm or key it does not support.
fn unsupported_algorithm(result: &TargetResult) -> bool {
    result
        .verification
        .error
        .as_deref()
        .is_some_and(|e| e.contains("UnsupportedSignatureAlgorithm") || e.contains("signature algorithm"))
}

/// The weak-hash and small-key conditions of the chain, from its findings.
fn algorithm_conditions(result: &TargetResult) -> Vec<Condition> {
    let has = |id: CheckId| result.findings.iter().any(|f| f.id == id);
    let mut found = vec![];
    if has(CheckId::WeakSignature) {
        found.push(weak_hash(result));
    }
    if has(CheckId::WeakKey)
        && let Some(bits) = smallest_rsa_key(&result.chain)
    {
        found.push(Condition::SmallRsaKey { bits });
    }
    found
}

fn name_conditions(leaf: &CertInfo, result: &TargetResult) -> Vec<Condition> {
    let cn_only = leaf.parsed() && !leaf.has_san_extension;
    result
        .names_checked
        .iter()
        .filter(|name| !names::covers(leaf, name))
        .map(|name| {
            if cn_only && leaf.common_names.iter().any(|cn| names::cn_matches(cn, name)) {
                Condition::NameInCommonNameOnly { name: name.clone() }
            } else {
                Condition::NameNotCovered { name: name.clone() }
            }
        })
        .collect()
}

/// The smallest RSA key of the served chain, the root excepted (no client checks its own
/// anchor's key), when it is under 2048 bits.
fn smallest_rsa_key(chain: &[std::sync::Arc<CertInfo>]) -> Option<u32> {
    chain
        .iter()
        .enumerate()
        .filter(|(i, c)| *i == 0 || !c.self_signed)
        .filter(|(_, c)| c.key.kind == "RSA")
        .filter_map(|(_, c)| c.key.bits)
        .filter(|bits| *bits < 2048)
        .min()
}

fn suite_conditions(result: &TargetResult) -> Vec<Condition> {
    let Some(tls) = &result.tls else { return vec![] };
    let mut found = vec![];
    let traits = SuiteTrait::of(&tls.cipher);
    // A DHE group is named by its size (`DH 2048-bit`).
    let dh_bits = tls
        .group
        .as_deref()
        .and_then(|g| g.strip_prefix("DH ")?.strip_suffix("-bit")?.parse().ok());
    if !traits.is_empty() {
        found.push(Condition::Suite {
            traits,
            name: tls.cipher.clone(),
            dh_bits,
        });
    }
    if let Some(group) = &tls.group
        && dh_bits.is_none()
        && !matches!(group.as_str(), "X25519" | "x25519" | "secp256r1" | "secp384r1")
    {
        found.push(Condition::UncommonGroup { name: group.clone() });
    }
    found
}

/// What one family does with one finding; `None` when clients do not see the finding.
pub(crate) fn outcome_of(finding: &Finding, result: &TargetResult, family: &str) -> Option<Outcome> {
    let family = families().iter().find(|f| f.id == family)?;
    conditions_of(finding, result)
        .iter()
        .map(|condition| condition.effect(family).0)
        .max()
}

/// Every family's verdict on the result's findings.
pub fn verdicts(result: &TargetResult, deciding: &[String]) -> Vec<FamilyVerdict> {
    if result.chain.is_empty() {
        return families()
            .iter()
            .map(|family| FamilyVerdict {
                family,
                outcome: Outcome::Unknown,
                reasons: vec![Reason {
                    check: None,
                    outcome: Outcome::Unknown,
                    how: "certscan saw no certificate from this target".into(),
                }],
                deciding: deciding.contains(&family.id),
            })
            .collect();
    }
    let found: Vec<(CheckId, Condition)> = result
        .findings
        .iter()
        .flat_map(|f| conditions_of(f, result).into_iter().map(move |c| (f.id, c)))
        .collect();
    families()
        .iter()
        .map(|family| {
            let reasons: Vec<Reason> = found
                .iter()
                .map(|(check, condition)| {
                    let (outcome, how) = condition.effect(family);
                    Reason {
                        check: Some(*check),
                        outcome,
                        how,
                    }
                })
                .collect();
            let outcome = reasons.iter().map(|r| r.outcome).max().unwrap_or(Outcome::Works);
            FamilyVerdict {
                family,
                outcome,
                reasons: reasons.into_iter().filter(|r| r.outcome == outcome).collect(),
                deciding: deciding.contains(&family.id),
            }
        })
        .collect()
}

/// The compatibility severity of one condition, from what the families do with it.
fn compatibility(effects: &[(&FamilyVerdict, Outcome, String)]) -> Severity {
    let any = |deciding: bool, outcome: Outcome| {
        effects
            .iter()
            .any(|(v, o, _)| *o == outcome && (!deciding || v.deciding))
    };
    if any(true, Outcome::Fails) {
        Severity::Critical
    } else if any(false, Outcome::Fails) || any(true, Outcome::Unknown) || any(true, Outcome::Degraded) {
        Severity::Warning
    } else {
        Severity::Info
    }
}

/// Worst first, as statuses rank: critical, unknown, warning, info.
fn rank(severity: Severity) -> u8 {
    match severity {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Unknown => 2,
        Severity::Critical => 3,
    }
}

fn worse(a: Severity, b: Severity) -> Severity {
    if rank(b) > rank(a) { b } else { a }
}

/// Sets each finding that clients treat differently to the worse of its two axes and says in
/// its text which families fail and how; then records every family's verdict on the result.
pub(crate) fn judge(deciding: &[String], result: &mut TargetResult) {
    let verdicts = verdicts(result, deciding);
    let snapshot = result.clone();
    for finding in &mut result.findings {
        let conditions = conditions_of(finding, &snapshot);
        if conditions.is_empty() {
            continue;
        }
        let mut severity = Severity::Info;
        let mut said = vec![];
        for condition in &conditions {
            let effects: Vec<(&FamilyVerdict, Outcome, String)> = verdicts
                .iter()
                .map(|v| {
                    let (outcome, how) = condition.effect(v.family);
                    (v, outcome, how)
                })
                .collect();
            let compatible = compatibility(&effects);
            let secure = condition.security();
            let axis = if rank(secure) > rank(compatible) {
                format!("severity from security: {}", condition.security_reason())
            } else if compatible == Severity::Info {
                "information: no deciding client family fails".to_string()
            } else {
                "severity from which clients fail".to_string()
            };
            severity = worse(severity, worse(compatible, secure));
            said.push(format!("{} ({axis})", who_connects(&effects)));
        }
        finding.severity = severity;
        finding.detail = format!("{}. Clients: {}", finding.detail.trim_end_matches('.'), said.join("; "));
    }
    result.clients = verdicts;
}

/// "Go, rustls fail: has no DHE suites; Java: works only if ...; curl, OpenSSL work": families
/// grouped by what they do and say, worst first.
fn who_connects(effects: &[(&FamilyVerdict, Outcome, String)]) -> String {
    if let Some((_, Outcome::Fails, how)) = effects.first()
        && effects.iter().all(|(_, o, h)| *o == Outcome::Fails && h == how)
    {
        return format!("every client family fails: {how}");
    }
    let mut groups: Vec<(Outcome, &str, Vec<&str>)> = vec![];
    for (verdict, outcome, how) in effects {
        let how = if *outcome == Outcome::Works { "" } else { how.as_str() };
        match groups.iter_mut().find(|(o, h, _)| o == outcome && *h == how) {
            Some((_, _, members)) => members.push(&verdict.family.name),
            None => groups.push((*outcome, how, vec![&verdict.family.name])),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    groups
        .iter()
        .map(|(outcome, how, members)| {
            let members = members.join(", ");
            match outcome {
                Outcome::Fails => format!("{members} fail: {how}"),
                Outcome::Works => format!("{members} work"),
                Outcome::Unknown | Outcome::Degraded => format!("{members}: {how}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use certscan_model::evidence::TlsParameters;
    use std::sync::Arc;

    /// A result for `localhost` holding one parsed leaf (with or without a subjectAltName) and
    /// the given findings at their catalog severities.
    fn result(sans: bool, findings: &[CheckId]) -> TargetResult {
        let mut params = rcgen::CertificateParams::new(if sans { vec!["localhost".into()] } else { vec![] }).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let mut leaf = CertInfo::from_der(cert.der(), 0);
        leaf.self_signed = false;
        let mut result = TargetResult::empty("localhost:443".into());
        result.chain = vec![Arc::new(leaf)];
        result.names_checked = vec!["localhost".into()];
        result.findings = findings.iter().map(|id| Finding::new(*id, "seen")).collect();
        result
    }

    fn mainstream_judged(mut result: TargetResult) -> TargetResult {
        judge(&mainstream(), &mut result);
        result
    }

    fn outcome(result: &TargetResult, family: &str) -> Outcome {
        result.clients.iter().find(|v| v.family.id == family).unwrap().outcome
    }

    fn with_suite(cipher: &str) -> TargetResult {
        let mut result = result(true, &[CheckId::ObsoleteOnly]);
        result.tls = Some(TlsParameters {
            version: "TLSv1.2".into(),
            cipher: cipher.into(),
            group: Some("secp256r1".into()),
            alpn: None,
        });
        result
    }

    #[test]
    fn every_setting_a_family_gives_has_a_source_and_every_source_a_setting() {
        let text = include_str!("../../../checks/data/clients.toml");
        let parsed: toml::Table = toml::from_str(text).unwrap();
        assert_eq!(families().len(), 13, "the file parses into every family");
        let described = ["id", "name", "group", "mainstream", "versions", "examples", "sources"];
        for family in parsed["family"].as_array().unwrap() {
            let family = family.as_table().unwrap();
            let sources = family["sources"].as_table().unwrap();
            for setting in family.keys().filter(|k| !described.contains(&k.as_str())) {
                assert!(
                    sources.contains_key(setting),
                    "{:?}: {setting} has no source",
                    family["id"]
                );
            }
            for source in sources.keys() {
                assert!(
                    family.contains_key(source),
                    "{:?}: a source for {source}, which is not set",
                    family["id"]
                );
            }
        }
    }

    #[test]
    fn the_list_shows_every_setting_with_its_source_or_as_not_known() {
        let listed = list();
        assert!(listed.contains("go (go): Go\n"), "{listed}");
        assert!(
            listed.contains("  cbc_sha2 = false  (golang/go src/crypto/tls/cipher_suites.go"),
            "{listed}"
        );
        assert!(listed.contains("  min_tls = TLS 1.2  ("), "{listed}");
        // Every setting the data gives is shown: none is missing from the list's names.
        let text = include_str!("../../../checks/data/clients.toml");
        let parsed: toml::Table = toml::from_str(text).unwrap();
        for family in parsed["family"].as_array().unwrap() {
            let id = family["id"].as_str().unwrap();
            let known = families().iter().find(|f| f.id == id).unwrap();
            for setting in family["sources"].as_table().unwrap().keys() {
                assert!(known.setting(setting).is_some(), "{id}: {setting} is not listed");
            }
        }
    }

    #[test]
    fn families_are_chosen_by_id_or_group_and_unknown_names_are_refused() {
        assert_eq!(select(&["browsers".into()]).unwrap(), ["chrome", "firefox", "safari"]);
        assert_eq!(select(&["GO".into(), "go".into()]).unwrap(), ["go"]);
        assert_eq!(select(&["all".into()]).unwrap().len(), families().len());
        let refused = select(&["netscape".into()]).unwrap_err();
        assert!(
            refused.contains("netscape") && refused.contains("browsers"),
            "{refused}"
        );
        assert_eq!(mainstream(), ["chrome", "firefox", "safari", "curl", "openssl"]);
    }

    #[test]
    fn a_clean_result_works_everywhere_and_an_unreached_one_is_unknown_everywhere() {
        let clean = mainstream_judged(result(true, &[]));
        assert!(clean.clients.iter().all(|v| v.outcome == Outcome::Works));
        let mut unreached = result(true, &[CheckId::ConnectionRefused]);
        unreached.chain.clear();
        let unreached = mainstream_judged(unreached);
        assert!(unreached.clients.iter().all(|v| v.outcome == Outcome::Unknown));
        assert_eq!(
            unreached.findings[0].severity,
            Severity::Critical,
            "not a condition: kept"
        );
    }

    #[test]
    fn a_missing_intermediate_is_fetched_by_chrome_preloaded_perhaps_by_firefox_and_fails_in_openssl() {
        let mut missing = result(true, &[CheckId::ChainIncomplete]);
        Arc::make_mut(&mut missing.chain[0]).ca_issuers_urls = vec!["http://ca.example/int.der".into()];
        let judged = mainstream_judged(missing);
        assert_eq!(outcome(&judged, "chrome"), Outcome::Degraded);
        assert_eq!(outcome(&judged, "firefox"), Outcome::Unknown);
        assert_eq!(outcome(&judged, "openssl"), Outcome::Fails);
        assert_eq!(outcome(&judged, "java"), Outcome::Fails);
        let finding = &judged.findings[0];
        assert_eq!(finding.severity, Severity::Critical);
        assert!(
            finding.detail.contains("unable to get local issuer certificate")
                && finding
                    .detail
                    .contains("Chrome/Edge: fetches the missing intermediate from http://ca.example/int.der"),
            "{}",
            finding.detail
        );
        // Without a CA Issuers URL, Chrome has nothing to fetch.
        let judged = mainstream_judged(result(true, &[CheckId::ChainIncomplete]));
        assert_eq!(outcome(&judged, "chrome"), Outcome::Fails);
    }

    #[test]
    fn a_name_only_in_the_common_name_fails_where_the_common_name_is_ignored() {
        let judged = mainstream_judged(result(false, &[CheckId::NameMismatch, CheckId::CnOnly]));
        for (family, expected) in [
            ("chrome", Outcome::Fails),
            ("go", Outcome::Fails),
            ("rustls", Outcome::Fails),
            ("openssl", Outcome::Works),
            ("java", Outcome::Works),
            ("gnutls", Outcome::Works),
        ] {
            assert_eq!(outcome(&judged, family), expected, "{family}");
        }
        assert!(judged.findings.iter().all(|f| f.severity == Severity::Critical));
        // With only curl-like OpenSSL clients deciding, the browsers' and Go's failure is a
        // warning; with the whole OpenSSL group, urllib3 2 (requests) fails among them.
        let mut only_openssl = result(false, &[CheckId::NameMismatch]);
        judge(&select(&["openssl".into()]).unwrap(), &mut only_openssl);
        assert_eq!(only_openssl.findings[0].severity, Severity::Warning);
        let mut openssl_group = result(false, &[CheckId::NameMismatch]);
        judge(&select(&["openssl-based".into()]).unwrap(), &mut openssl_group);
        assert_eq!(outcome(&openssl_group, "urllib3"), Outcome::Fails);
        assert_eq!(openssl_group.findings[0].severity, Severity::Critical);
    }

    #[test]
    fn small_rsa_keys_fail_by_each_familys_floor_and_are_a_security_risk_everywhere() {
        let sized = |bits| {
            let mut weak = result(true, &[CheckId::WeakKey]);
            let leaf = Arc::make_mut(&mut weak.chain[0]);
            leaf.key.kind = "RSA".into();
            leaf.key.bits = Some(bits);
            mainstream_judged(weak)
        };
        let rsa1024 = sized(1024);
        assert_eq!(outcome(&rsa1024, "openssl"), Outcome::Fails);
        assert_eq!(outcome(&rsa1024, "java"), Outcome::Works);
        assert_eq!(outcome(&rsa1024, "go"), Outcome::Works);
        assert_eq!(rsa1024.findings[0].severity, Severity::Critical);
        let rsa512 = sized(512);
        assert_eq!(outcome(&rsa512, "java"), Outcome::Fails);
        assert_eq!(outcome(&rsa512, "go"), Outcome::Fails);
        // Where only Java decides, RSA-1024 is a warning: OpenSSL clients fail, and the key is a risk.
        let mut java_only = result(true, &[CheckId::WeakKey]);
        let leaf = Arc::make_mut(&mut java_only.chain[0]);
        leaf.key.kind = "RSA".into();
        leaf.key.bits = Some(1024);
        judge(&["java".to_string()], &mut java_only);
        assert_eq!(
            java_only.findings[0].severity,
            Severity::Warning,
            "openssl, not deciding, fails"
        );
    }

    #[test]
    fn a_suite_is_judged_by_the_families_that_offer_it() {
        // (suite, families that fail, severity with the mainstream families deciding)
        let cases: [(&str, &[&str], &[&str], Severity); 5] = [
            // Chrome's BoringSSL has no SHA-256 CBC suite: a mainstream family fails.
            (
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                &["chrome", "go", "rustls"],
                &["openssl", "java", "python"],
                Severity::Critical,
            ),
            (
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                &["python", "rustls"],
                &["openssl", "java", "go", "chrome"],
                Severity::Warning,
            ),
            (
                "TLS_RSA_WITH_AES_128_GCM_SHA256",
                &["go", "rustls", "python"],
                &["openssl", "java", "chrome"],
                Severity::Warning,
            ),
            (
                "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
                &["chrome", "firefox", "go", "rustls"],
                &[],
                Severity::Critical,
            ),
            (
                "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
                &["openssl", "java", "go", "chrome"],
                &[],
                Severity::Critical,
            ),
        ];
        for (suite, failing, working, severity) in cases {
            let judged = mainstream_judged(with_suite(suite));
            for family in failing {
                assert_eq!(outcome(&judged, family), Outcome::Fails, "{suite}: {family}");
            }
            for family in working {
                assert_eq!(outcome(&judged, family), Outcome::Works, "{suite}: {family}");
            }
            assert_eq!(
                judged.findings[0].severity, severity,
                "{suite}: {}",
                judged.findings[0].detail
            );
        }
        // When Go decides (`--clients go`), its failure is critical.
        let mut for_go = with_suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256");
        judge(&["go".to_string()], &mut for_go);
        assert_eq!(for_go.findings[0].severity, Severity::Critical);
    }

    #[test]
    fn a_revoked_certificate_that_clients_accept_is_critical_on_the_security_axis() {
        let judged = mainstream_judged(result(true, &[CheckId::Revoked]));
        assert_eq!(outcome(&judged, "openssl"), Outcome::Works);
        assert_eq!(outcome(&judged, "go"), Outcome::Works);
        assert_eq!(judged.findings[0].severity, Severity::Critical);
        assert!(
            judged.findings[0].detail.contains("severity from security"),
            "{}",
            judged.findings[0].detail
        );
    }

    #[test]
    fn a_refused_path_fails_everywhere_only_when_every_validator_refuses_it() {
        assert_eq!(
            path_refused("no path to a trusted root (UnknownIssuer)"),
            Condition::Untrusted { self_signed: false }
        );
        assert_eq!(
            path_refused(
                "a certificate has a critical extension that clients do not understand (UnsupportedCriticalExtension)"
            ),
            Condition::PathRefused {
                by_every_validator: true
            }
        );
        assert_eq!(
            path_refused("the chain loops: #1 (CN=a) -> #2 (CN=b) -> #1 (CN=a) (each issued by the next), so ..."),
            Condition::PathRefused {
                by_every_validator: true
            }
        );
        let mut result = result(true, &[]);
        result.findings = vec![Finding::new(
            CheckId::Untrusted,
            "a name or a name constraint is malformed (MalformedDnsIdentifier)",
        )];
        let judged = mainstream_judged(result);
        assert_eq!(outcome(&judged, "rustls"), Outcome::Fails);
        assert_eq!(outcome(&judged, "openssl"), Outcome::Unknown);
        // Only rustls is known to fail, and the deciding families are not known: a warning.
        assert_eq!(judged.findings[0].severity, Severity::Warning);
        assert!(
            judged.findings[0].detail.contains("rustls fail: refuses the path"),
            "{}",
            judged.findings[0].detail
        );
    }

    #[test]
    fn strict_profile_problems_fail_only_in_strict_families() {
        let mut strict = result(true, &[]);
        strict.findings = vec![
            Finding::new(CheckId::Nonconformant, "it has no authority key identifier")
                .with_refusal(Refusal::StrictProfile),
        ];
        let judged = mainstream_judged(strict);
        assert_eq!(outcome(&judged, "python-strict"), Outcome::Fails);
        assert_eq!(outcome(&judged, "openssl"), Outcome::Works);
        assert_eq!(judged.findings[0].severity, Severity::Warning);
        // A lint no client enforces has no client effect: it keeps its severity and text.
        let lint = mainstream_judged(result(true, &[CheckId::Nonconformant]));
        assert_eq!(lint.findings[0].detail, "seen");
        assert!(lint.clients.iter().all(|v| v.outcome == Outcome::Works));
    }

    #[test]
    fn a_chain_out_of_order_or_with_a_stray_certificate_is_information_since_clients_build_paths() {
        for id in [CheckId::ChainOrder, CheckId::ExtraCert] {
            let judged = mainstream_judged(result(true, &[id]));
            assert_eq!(judged.findings[0].severity, Severity::Info, "{id}");
            assert_eq!(outcome(&judged, "openssl"), Outcome::Works);
            assert_eq!(outcome(&judged, "legacy"), Outcome::Unknown, "old clients: not known");
        }
        // Where the old embedded clients decide, what they may do with it is a warning.
        let mut for_phones = result(true, &[CheckId::ChainOrder]);
        judge(&["legacy".to_string()], &mut for_phones);
        assert_eq!(for_phones.findings[0].severity, Severity::Warning);
    }

    #[test]
    fn a_verdict_its_check_already_lowered_is_kept() {
        let mut pinned = result(true, &[]);
        pinned.findings = vec![Finding::new(CheckId::SelfSigned, "trusted as given").with_severity(Severity::Info)];
        let judged = mainstream_judged(pinned);
        assert_eq!(judged.findings[0].severity, Severity::Info);
        assert!(judged.clients.iter().all(|v| v.outcome == Outcome::Works));
    }

    #[test]
    fn old_protocols_fail_where_the_client_offers_only_newer_ones() {
        let mut old = result(true, &[CheckId::LegacyOnly]);
        old.tls = Some(TlsParameters {
            version: "TLSv1.0".into(),
            cipher: "TLS_RSA_WITH_AES_128_CBC_SHA".into(),
            group: None,
            alpn: None,
        });
        let judged = mainstream_judged(old);
        assert_eq!(outcome(&judged, "openssl"), Outcome::Fails);
        assert_eq!(outcome(&judged, "legacy"), Outcome::Works);
        assert_eq!(judged.findings[0].severity, Severity::Critical);
    }
}
