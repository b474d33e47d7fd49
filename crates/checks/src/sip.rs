//! SIP as SIP clients see it: whether the DNS records that lead to a SIP domain's TLS servers
//! (RFC 3263) are consistent, and whether the certificate a SIPS server presents carries the
//! SIP domain in a form each family of SIP clients accepts (RFC 5922 and the clients' code, from
//! `checks/data/sip-identity.toml`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use certscan_model::evidence::Observation;
use certscan_model::finding::{CheckId, Finding};
use certscan_model::sip::{DnsAnswer, Route, SipLocation};
use certscan_model::status::Severity;
use certscan_model::target::Protocol;
use certscan_x509::certificate::{CertInfo, SanEntry};

use crate::names::dns_name_matches;
use crate::{Enriched, Policy, TargetResult};

/// The port of plain (unencrypted) SIP over TCP and UDP (RFC 3261 section 19.1.2).
const PLAIN_SIP_PORT: u16 = 5060;

/// What the report shows of SIP: how the endpoint was found and which SIP clients accept its
/// certificate for the domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SipView {
    /// The SIP domain the certificate is checked against.
    pub domain: String,
    /// The DNS lookups that led here, one per line (empty when the endpoint was given).
    pub path: Vec<String>,
    /// Each family of SIP clients: does it accept the certificate for the domain?
    pub identity: Vec<IdentityVerdict>,
}

/// Whether one family of SIP clients accepts the certificate for the domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityVerdict {
    pub family: String,
    pub name: String,
    /// `Some(true)` accepts, `Some(false)` refuses, `None` not known.
    pub accepts: Option<bool>,
    /// The form that decided, or what is missing.
    pub why: String,
}

/// When a family reads the subject Common Name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum CommonName {
    Always,
    WithoutSan,
    Never,
}

/// A family of SIP clients, by the identity forms it accepts (`None`: not known).
#[derive(Debug, Clone, Deserialize)]
struct Family {
    id: String,
    name: String,
    uri_sip: Option<bool>,
    uri_sips: Option<bool>,
    dns: Option<bool>,
    wildcard: Option<bool>,
    cn: Option<CommonName>,
    /// Where each setting comes from; read only by the test that requires every family to
    /// cite its sources (the data file is for people).
    #[cfg_attr(not(test), allow(dead_code))]
    sources: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct FamilyFile {
    family: Vec<Family>,
}

fn families() -> &'static [Family] {
    static FAMILIES: OnceLock<Vec<Family>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        toml::from_str::<FamilyFile>(include_str!("../../../checks/data/sip-identity.toml"))
            .map(|file| file.family)
            .unwrap_or_default()
    })
}

/// Where the certificate names the domain.
#[derive(Debug, Default, Clone, Copy)]
struct Forms {
    uri_sip: bool,
    uri_sips: bool,
    dns: bool,
    wildcard: bool,
    cn: bool,
    has_san: bool,
}

impl Forms {
    fn of(leaf: &CertInfo, domain: &str) -> Forms {
        let mut forms = Forms {
            has_san: leaf.has_san_extension,
            cn: leaf.common_names.iter().any(|cn| cn.eq_ignore_ascii_case(domain)),
            ..Forms::default()
        };
        for entry in &leaf.san_entries {
            match entry {
                SanEntry::Dns(name) if name.starts_with("*.") => {
                    forms.wildcard |= dns_name_matches(name, domain);
                }
                SanEntry::Dns(name) => forms.dns |= name.trim_end_matches('.').eq_ignore_ascii_case(domain),
                SanEntry::Uri(uri) => {
                    // RFC 5922 7.1: the whole URI is the domain; one with a user part is not.
                    let (scheme, rest) = uri.split_once(':').unwrap_or(("", ""));
                    if rest.eq_ignore_ascii_case(domain) {
                        forms.uri_sip |= scheme.eq_ignore_ascii_case("sip");
                        forms.uri_sips |= scheme.eq_ignore_ascii_case("sips");
                    }
                }
                _ => {}
            }
        }
        forms
    }
}

/// Whether a family accepts the certificate, and the form that decides.
fn verdict(family: &Family, forms: Forms) -> IdentityVerdict {
    let cn_read = match family.cn {
        Some(CommonName::Always) => Some(true),
        Some(CommonName::WithoutSan) => Some(!forms.has_san),
        Some(CommonName::Never) => Some(false),
        None => None,
    };
    // Each form the certificate has, with whether the family reads it.
    let present = [
        (forms.uri_sip, family.uri_sip, "the URI sip:DOMAIN"),
        (forms.uri_sips, family.uri_sips, "the URI sips:DOMAIN"),
        (forms.dns, family.dns, "the DNS name"),
        (forms.wildcard, family.wildcard, "a wildcard DNS name"),
        (forms.cn, cn_read, "the Common Name"),
    ];
    let (accepts, why) = if let Some((_, _, form)) = present.iter().find(|(has, reads, _)| *has && *reads == Some(true))
    {
        (Some(true), format!("accepts {form}"))
    } else if let Some((_, _, form)) = present.iter().find(|(has, reads, _)| *has && reads.is_none()) {
        (None, format!("not known whether it accepts {form}"))
    } else {
        let refused: Vec<&str> = present
            .iter()
            .filter(|(has, _, _)| *has)
            .map(|(_, _, form)| *form)
            .collect();
        let why = match refused.as_slice() {
            [] => "the certificate does not carry the domain".to_string(),
            forms => format!("does not accept {}", forms.join(" or ")),
        };
        (Some(false), why)
    };
    IdentityVerdict {
        family: family.id.clone(),
        name: family.name.clone(),
        accepts,
        why,
    }
}

/// The SIP findings and view of a source.
pub(crate) fn check(source: &Enriched, _: &Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    let located = evidence.extra.located.as_ref();
    if let Some(located) = located {
        result.findings.extend(route_findings(located, &evidence.observation));
    }
    if result.protocol != Some(Protocol::Sips) {
        return;
    }
    let domain = match located {
        Some(located) => located.lookup.domain.clone(),
        None => match result.host.as_deref() {
            Some(host) if host.parse::<std::net::IpAddr>().is_err() => host.to_string(),
            _ => return,
        },
    };
    let identity = match source.parsed.chain.first().filter(|leaf| leaf.parsed()) {
        Some(leaf) => identity(leaf, &domain, located, result),
        None => vec![],
    };
    // On a SIPS port the SIP clients' rules decide whether the name fits: the web's rules
    // (name.mismatch, name.cn_only) would say that clients which never call this port fail.
    let only_the_domain = matches!(result.names_checked.as_slice(), [name] if name.eq_ignore_ascii_case(&domain));
    if !identity.is_empty() && only_the_domain {
        result
            .findings
            .retain(|f| !matches!(f.id, CheckId::NameMismatch | CheckId::CnOnly));
    }
    result.sip = Some(SipView {
        domain,
        path: located.map(SipLocation::path).unwrap_or_default(),
        identity,
    });
}

/// Each family's verdict on the leaf for the domain, and the finding when some refuse.
fn identity(
    leaf: &CertInfo,
    domain: &str,
    located: Option<&SipLocation>,
    result: &mut TargetResult,
) -> Vec<IdentityVerdict> {
    let forms = Forms::of(leaf, domain);
    let verdicts: Vec<IdentityVerdict> = families().iter().map(|family| verdict(family, forms)).collect();
    let refusing: Vec<&IdentityVerdict> = verdicts.iter().filter(|v| v.accepts == Some(false)).collect();
    if refusing.is_empty() {
        return verdicts;
    }
    let accepting: Vec<&str> = verdicts
        .iter()
        .filter(|v| v.accepts == Some(true))
        .map(|v| v.name.as_str())
        .collect();
    let refused: Vec<String> = refusing.iter().map(|v| format!("{} ({})", v.name, v.why)).collect();
    let carried = match leaf.san_entries.is_empty() {
        true => format!("the certificate names {}", leaf.common_names.join(", ")),
        false => format!(
            "the certificate names {}",
            leaf.san_entries
                .iter()
                .map(SanEntry::display)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let srv_host = match located.map(|l| &l.route) {
        Some(Route::Srv { record, .. }) if leaf_names_host(leaf, &record.target) && !forms.dns => format!(
            ": it names the SRV target {}, not the domain, the classic failure when a peer verifies the domain",
            record.target
        ),
        _ => String::new(),
    };
    let mut detail = format!(
        "SIP clients calling {domain} check the certificate against that domain (RFC 5922); {carried}{srv_host}. Refused by: {}",
        refused.join("; ")
    );
    let severity = match accepting.is_empty() {
        true => Severity::Critical,
        false => {
            detail.push_str(&format!("; accepted by: {}", accepting.join(", ")));
            Severity::Warning
        }
    };
    result
        .findings
        .push(Finding::new(CheckId::SipIdentityMismatch, detail).with_severity(severity));
    verdicts
}

fn leaf_names_host(leaf: &CertInfo, host: &str) -> bool {
    leaf.san_entries
        .iter()
        .any(|entry| matches!(entry, SanEntry::Dns(name) if dns_name_matches(name, host)))
        || leaf.common_names.iter().any(|cn| cn.eq_ignore_ascii_case(host))
}

/// What is wrong with the records that led to this endpoint.
fn route_findings(located: &SipLocation, observation: &Observation) -> Vec<Finding> {
    let lookup = &located.lookup;
    let domain = &lookup.domain;
    let mut findings = vec![];
    if let DnsAnswer::Failed(error) = &lookup.naptr {
        findings.push(Finding::new(
            CheckId::SipLookupFailed,
            format!("the NAPTR lookup of {domain} failed ({error}): the servers its records name are unchecked"),
        ));
    }
    for srv in &lookup.srv {
        if let DnsAnswer::Failed(error) = &srv.answer {
            findings.push(Finding::new(
                CheckId::SipLookupFailed,
                format!(
                    "the SRV lookup of {} failed ({error}): the servers it names are unchecked",
                    srv.name
                ),
            ));
        }
    }
    let naptr = lookup.naptr.records();
    let sips: Vec<_> = naptr.iter().filter(|r| r.offers_sips()).collect();
    if !naptr.is_empty() && sips.is_empty() {
        let services: Vec<&str> = naptr.iter().map(|r| r.services.as_str()).collect();
        findings.push(Finding::new(
            CheckId::SipNaptrMismatch,
            format!(
                "the NAPTR records of {domain} offer {} but no SIPS+D2T: clients that follow NAPTR (RFC 3263 4.1) find no TLS server; certscan went on to _sips._tcp.{domain}, as clients that skip NAPTR do",
                services.join(", ")
            ),
        ));
    }
    for record in sips {
        let replacement = if record.replacement.is_empty() {
            "."
        } else {
            &record.replacement
        };
        let problem =
            if !record.flags.eq_ignore_ascii_case("s") {
                Some(format!(
                    "has flags \"{}\" where \"s\" (an SRV lookup comes next) is expected",
                    record.flags
                ))
            } else if record.replacement.is_empty() {
                Some("points nowhere (\".\")".to_string())
            } else if !record.replacement.starts_with("_sips._tcp.") {
                Some(format!(
                    "points to {replacement}, which is not a _sips._tcp name{}",
                    match record.replacement.starts_with("_sip.") {
                        true => " (it is plain SIP's)",
                        false => "",
                    }
                ))
            } else if lookup.srv.iter().any(|srv| {
                srv.name == record.replacement && matches!(&srv.answer, DnsAnswer::Records(r) if r.is_empty())
            }) {
                Some(format!("points to {replacement}, which has no SRV records"))
            } else {
                None
            };
        if let Some(problem) = problem {
            findings.push(Finding::new(
                CheckId::SipNaptrMismatch,
                format!("the NAPTR record \"{record}\" of {domain} offers SIP over TLS but {problem}"),
            ));
        }
    }
    if let Route::Srv { name, record } = &located.route {
        if record.port == PLAIN_SIP_PORT {
            findings.push(Finding::new(
                CheckId::SipSrvUnusable,
                format!(
                    "the SRV record {name} \"{record}\" sends TLS clients to port {PLAIN_SIP_PORT}, plain SIP's port"
                ),
            ));
        }
        if matches!(observation, Observation::Unresolved { .. }) {
            findings.push(Finding::new(
                CheckId::SipSrvUnusable,
                format!(
                    "the SRV record {name} \"{record}\" names {}, which has no address: every client tries it and times out before the next",
                    record.target
                ),
            ));
        }
    }
    if let Some((kept, total)) = lookup.capped {
        findings.push(Finding::new(
            CheckId::Capped,
            format!("only the first {kept} of the {total} SIP servers the SRV records of {domain} name were scanned, to keep the run bounded"),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use certscan_model::sip::{NaptrRecord, SipLookup, SrvLookup, SrvRecord};
    use rcgen::{CertificateParams, DnType, KeyPair, SanType};
    use std::sync::Arc;

    /// A leaf with these subjectAltNames (`sip:` and `sips:` ones are URIs) and Common Name.
    fn leaf(sans: &[&str], cn: Option<&str>) -> CertInfo {
        let mut params = CertificateParams::default();
        params.subject_alt_names = sans
            .iter()
            .map(|san| match san.starts_with("sip") && san.contains(':') {
                true => SanType::URI(san.to_string().try_into().unwrap()),
                false => SanType::DnsName(san.to_string().try_into().unwrap()),
            })
            .collect();
        if let Some(cn) = cn {
            params.distinguished_name.push(DnType::CommonName, cn);
        }
        let cert = params.self_signed(&KeyPair::generate().unwrap()).unwrap();
        CertInfo::from_der(cert.der(), 0)
    }

    fn accepted(leaf: &CertInfo, domain: &str) -> Vec<(String, Option<bool>)> {
        let forms = Forms::of(leaf, domain);
        families()
            .iter()
            .map(|f| {
                let v = verdict(f, forms);
                (v.family, v.accepts)
            })
            .collect()
    }

    fn of(verdicts: &[(String, Option<bool>)], family: &str) -> Option<bool> {
        verdicts.iter().find(|(f, _)| f == family).unwrap().1
    }

    #[test]
    fn the_data_file_reads_and_every_family_cites_sources() {
        let all = families();
        assert!(all.len() >= 4);
        for family in all {
            assert!(!family.sources.is_empty(), "{} has no sources", family.id);
        }
    }

    #[test]
    fn a_dns_name_equal_to_the_domain_is_accepted_by_every_family() {
        let v = accepted(&leaf(&["example.test", "sbc1.example.test"], None), "example.test");
        assert!(v.iter().all(|(_, accepts)| *accepts == Some(true)), "{v:?}");
    }

    #[test]
    fn a_sip_uri_alone_is_refused_by_the_phones_that_read_dns_names_only() {
        let v = accepted(&leaf(&["sip:example.test", "sbc1.example.test"], None), "example.test");
        assert_eq!(of(&v, "rfc5922"), Some(true));
        assert_eq!(of(&v, "pjsip"), Some(true));
        assert_eq!(of(&v, "sofia-sip"), Some(true));
        assert_eq!(of(&v, "avaya-96xx"), Some(false));
        // A URI with a user part is an address of record, not the domain (RFC 5922 7.1).
        let v = accepted(&leaf(&["sip:alice@example.test"], None), "example.test");
        assert!(v.iter().all(|(_, accepts)| *accepts == Some(false)), "{v:?}");
        // sips: URIs: pjsip reads them, sofia-sip and the RFC do not.
        let v = accepted(&leaf(&["sips:example.test"], None), "example.test");
        assert_eq!(
            (of(&v, "pjsip"), of(&v, "sofia-sip"), of(&v, "rfc5922")),
            (Some(true), Some(false), Some(false))
        );
    }

    #[test]
    fn a_wildcard_is_refused_by_sip_clients_and_unknown_where_no_source_says() {
        let v = accepted(&leaf(&["*.example.test"], None), "sip.example.test");
        assert_eq!(of(&v, "rfc5922"), Some(false));
        assert_eq!(of(&v, "pjsip"), Some(false));
        assert_eq!(of(&v, "sofia-sip"), Some(false));
        assert_eq!(of(&v, "avaya-96xx"), None);
    }

    #[test]
    fn the_common_name_counts_beside_other_names_for_pjsip_but_not_for_the_rfc() {
        let v = accepted(&leaf(&["sbc1.example.test"], Some("example.test")), "example.test");
        assert_eq!((of(&v, "rfc5922"), of(&v, "pjsip")), (Some(false), Some(true)));
        let v = accepted(&leaf(&[], Some("example.test")), "example.test");
        assert_eq!(of(&v, "rfc5922"), Some(true));
    }

    fn located(naptr: Vec<NaptrRecord>, srv: Vec<(&str, DnsAnswer<SrvRecord>)>, route: Route) -> SipLocation {
        SipLocation {
            lookup: Arc::new(SipLookup {
                domain: "example.test".into(),
                naptr: DnsAnswer::Records(naptr),
                srv: srv
                    .into_iter()
                    .map(|(name, answer)| SrvLookup {
                        name: name.into(),
                        answer,
                    })
                    .collect(),
                capped: None,
            }),
            route,
        }
    }

    fn naptr(services: &str, replacement: &str) -> NaptrRecord {
        NaptrRecord {
            order: 10,
            preference: 50,
            flags: "s".into(),
            services: services.into(),
            replacement: replacement.into(),
        }
    }

    fn srv(port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority: 10,
            weight: 60,
            port,
            target: target.into(),
        }
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.id.as_str()).collect()
    }

    const CONNECTED: Observation = Observation::Refused;

    #[test]
    fn consistent_records_give_no_finding() {
        let record = srv(5061, "sbc1.example.test");
        let here = located(
            vec![
                naptr("SIPS+D2T", "_sips._tcp.example.test"),
                naptr("SIP+D2T", "_sip._tcp.example.test"),
            ],
            vec![("_sips._tcp.example.test", DnsAnswer::Records(vec![record.clone()]))],
            Route::Srv {
                name: "_sips._tcp.example.test".into(),
                record,
            },
        );
        assert!(route_findings(&here, &CONNECTED).is_empty());
        assert!(here.path().iter().any(|step| step.ends_with("(this endpoint)")));
    }

    #[test]
    fn naptr_records_that_do_not_lead_to_tls_servers_are_named() {
        let plain_only = located(
            vec![naptr("SIP+D2T", "_sip._tcp.example.test")],
            vec![],
            Route::DomainAddress,
        );
        let found = route_findings(&plain_only, &CONNECTED);
        assert_eq!(ids(&found), ["sip.naptr_mismatch"]);
        assert!(found[0].detail.contains("no SIPS+D2T"), "{}", found[0].detail);
        let to_plain = located(
            vec![naptr("SIPS+D2T", "_sip._tcp.example.test")],
            vec![],
            Route::DomainAddress,
        );
        let found = route_findings(&to_plain, &CONNECTED);
        assert_eq!(ids(&found), ["sip.naptr_mismatch"]);
        assert!(found[0].detail.contains("plain SIP's"), "{}", found[0].detail);
        let to_nothing = located(
            vec![naptr("SIPS+D2T", "_sips._tcp.example.test")],
            vec![("_sips._tcp.example.test", DnsAnswer::Records(vec![]))],
            Route::DomainAddress,
        );
        assert!(
            route_findings(&to_nothing, &CONNECTED)[0]
                .detail
                .contains("no SRV records")
        );
    }

    #[test]
    fn srv_records_to_no_address_or_to_plain_sip_are_unusable() {
        let record = srv(5060, "sbc1.example.test");
        let plain_port = located(
            vec![],
            vec![("_sips._tcp.example.test", DnsAnswer::Records(vec![record.clone()]))],
            Route::Srv {
                name: "_sips._tcp.example.test".into(),
                record: record.clone(),
            },
        );
        assert_eq!(ids(&route_findings(&plain_port, &CONNECTED)), ["sip.srv_unusable"]);
        let record = srv(5061, "gone.example.test");
        let nowhere = located(
            vec![],
            vec![("_sips._tcp.example.test", DnsAnswer::Records(vec![record.clone()]))],
            Route::Srv {
                name: "_sips._tcp.example.test".into(),
                record,
            },
        );
        let unresolved = Observation::Unresolved {
            error: "NXDOMAIN".into(),
        };
        assert_eq!(ids(&route_findings(&nowhere, &unresolved)), ["sip.srv_unusable"]);
        assert!(route_findings(&nowhere, &CONNECTED).is_empty());
    }

    #[test]
    fn a_failed_lookup_is_unknown_never_a_pass() {
        let failed = located(
            vec![],
            vec![("_sips._tcp.example.test", DnsAnswer::Failed("SERVFAIL".into()))],
            Route::DomainAddress,
        );
        let found = route_findings(&failed, &CONNECTED);
        assert_eq!(ids(&found), ["sip.lookup_failed"]);
        assert_eq!(found[0].severity, Severity::Unknown);
    }
}
