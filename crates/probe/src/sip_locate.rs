//! Finds a SIP domain's TLS servers as RFC 3263 section 4 says a client does: the domain's NAPTR
//! records offering `SIPS+D2T`, the SRV records they point to (or `_sips._tcp.DOMAIN` when no
//! NAPTR record offers it), else the domain itself on port 5061. Records what the DNS answered and
//! which record led to each endpoint; whether the records are right is judged in the analysis.

use std::sync::Arc;

use hickory_proto::rr::{Name, RData, RecordType};
use hickory_resolver::TokioResolver;
use tokio::time::{Instant, timeout_at};

use super::dns::{DnsOptions, Resolvers};
use certscan_model::sip::{DnsAnswer, NaptrRecord, Route, SipLocation, SipLookup, SrvLookup, SrvRecord};

/// The most SRV names asked for one domain (NAPTR records offering SIPS).
const MAX_SRV_NAMES: usize = 4;
/// The most endpoints scanned for one domain.
pub const MAX_ENDPOINTS: usize = 16;

/// One endpoint found: where to connect, and how it was found.
#[derive(Debug, Clone)]
pub struct Found {
    /// The host to connect to (an SRV target, or the domain); `None` when no server is offered.
    pub host: Option<String>,
    pub port: u16,
    pub location: SipLocation,
}

/// The DNS side of SIP server location for a whole run.
pub struct SipLocator {
    /// Each domain is looked up with a resolver of its own.
    resolvers: Result<Resolvers, String>,
    /// Domains looked up at once (`DnsOptions::concurrency`, as for CAA).
    permits: tokio::sync::Semaphore,
}

impl SipLocator {
    pub fn new(options: &DnsOptions) -> SipLocator {
        SipLocator {
            resolvers: Resolvers::new(options),
            permits: tokio::sync::Semaphore::new(options.concurrency.max(1)),
        }
    }

    /// The endpoints of a SIP domain, in the order a client tries them (NAPTR order and
    /// preference, then SRV priority, then SRV weight, heaviest first); every lookup ends by
    /// `deadline`. There is always at least one: the domain on 5061 when DNS names no server,
    /// or one without a host when DNS says there is none.
    pub async fn locate(&self, domain: &str, deadline: Instant) -> Vec<Found> {
        let _permit = timeout_at(deadline, self.permits.acquire()).await;
        let resolver = self
            .resolvers
            .as_ref()
            .map_err(Clone::clone)
            .and_then(Resolvers::resolver);
        let lookup = match &resolver {
            Ok(resolver) => look_up(resolver, domain, deadline).await,
            Err(error) => SipLookup {
                domain: domain.to_string(),
                naptr: DnsAnswer::Failed(error.clone()),
                srv: vec![],
                capped: None,
            },
        };
        endpoints(lookup)
    }
}

/// The NAPTR records, then the SRV records of the names they give (or of `_sips._tcp.DOMAIN`).
async fn look_up(resolver: &TokioResolver, domain: &str, deadline: Instant) -> SipLookup {
    let naptr = naptr(resolver, domain, deadline).await;
    let mut offered: Vec<&NaptrRecord> = naptr
        .records()
        .iter()
        .filter(|r| r.offers_sips() && !r.replacement.is_empty())
        .collect();
    offered.sort_by_key(|r| (r.order, r.preference));
    let mut names: Vec<String> = vec![];
    for record in offered {
        if !names.contains(&record.replacement) {
            names.push(record.replacement.clone());
        }
    }
    names.truncate(MAX_SRV_NAMES);
    // RFC 3263 4.1: without NAPTR records, the SRV name of the transport; certscan asks it too
    // when NAPTR records offer no SIPS, as clients that skip NAPTR do.
    if names.is_empty() {
        names.push(format!("_sips._tcp.{domain}"));
    }
    let mut srv = vec![];
    for name in names {
        let answer = srv_records(resolver, &name, deadline).await;
        srv.push(SrvLookup { name, answer });
    }
    SipLookup {
        domain: domain.to_string(),
        naptr,
        srv,
        capped: None,
    }
}

/// The endpoints the lookup leads to, in the order a client tries them.
fn endpoints(mut lookup: SipLookup) -> Vec<Found> {
    let mut routes: Vec<(String, SrvRecord)> = vec![];
    for srv in &lookup.srv {
        let mut records = srv.answer.records().to_vec();
        records.sort_by_key(|r| (r.priority, std::cmp::Reverse(r.weight)));
        routes.extend(records.into_iter().map(|r| (srv.name.clone(), r)));
    }
    let any_srv = !routes.is_empty();
    routes.retain(|(_, record)| !record.target.is_empty());
    let total = routes.len();
    if total > MAX_ENDPOINTS {
        lookup.capped = Some((MAX_ENDPOINTS, total));
        routes.truncate(MAX_ENDPOINTS);
    }
    let lookup = Arc::new(lookup);
    let location = |route| SipLocation {
        lookup: lookup.clone(),
        route,
    };
    if routes.is_empty() {
        // Only "." records: decidedly no server. No records at all: the domain itself.
        return vec![match any_srv {
            true => Found {
                host: None,
                port: 5061,
                location: location(Route::NoServer),
            },
            false => Found {
                host: Some(lookup.domain.clone()),
                port: 5061,
                location: location(Route::DomainAddress),
            },
        }];
    }
    routes
        .into_iter()
        .map(|(name, record)| Found {
            host: Some(record.target.clone()),
            port: record.port,
            location: location(Route::Srv { name, record }),
        })
        .collect()
}

fn ascii(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether a failed lookup means "no records" (NXDOMAIN, NODATA), which is an answer.
fn no_records(error: &hickory_resolver::net::NetError) -> bool {
    error.is_no_records_found() || error.is_nx_domain()
}

/// The records of one type at `name`, read by `read`; no records is an answer, a failure or
/// the deadline is not.
async fn records<T>(
    resolver: &TokioResolver,
    name: &str,
    record_type: RecordType,
    deadline: Instant,
    read: impl Fn(&RData) -> Option<T>,
) -> DnsAnswer<T> {
    let query = match Name::from_utf8(format!("{name}.")) {
        Ok(query) => query,
        Err(e) => return DnsAnswer::Failed(format!("{name:?} is not a DNS name: {e}")),
    };
    match timeout_at(deadline, resolver.lookup(query, record_type)).await {
        Err(_) => DnsAnswer::Failed("no answer before the lookup deadline".into()),
        Ok(Err(e)) if no_records(&e) => DnsAnswer::Records(vec![]),
        Ok(Err(e)) => DnsAnswer::Failed(e.to_string()),
        Ok(Ok(lookup)) => DnsAnswer::Records(lookup.answers().iter().filter_map(|r| read(&r.data)).collect()),
    }
}

async fn naptr(resolver: &TokioResolver, domain: &str, deadline: Instant) -> DnsAnswer<NaptrRecord> {
    records(resolver, domain, RecordType::NAPTR, deadline, |data| match data {
        RData::NAPTR(naptr) => Some(NaptrRecord {
            order: naptr.order,
            preference: naptr.preference,
            flags: String::from_utf8_lossy(&naptr.flags).into_owned(),
            services: String::from_utf8_lossy(&naptr.services).into_owned(),
            replacement: ascii(&naptr.replacement),
        }),
        _ => None,
    })
    .await
}

async fn srv_records(resolver: &TokioResolver, name: &str, deadline: Instant) -> DnsAnswer<SrvRecord> {
    records(resolver, name, RecordType::SRV, deadline, |data| match data {
        RData::SRV(srv) => Some(SrvRecord {
            priority: srv.priority,
            weight: srv.weight,
            port: srv.port,
            target: ascii(&srv.target),
        }),
        _ => None,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    fn lookup(records: Vec<SrvRecord>) -> SipLookup {
        SipLookup {
            domain: "example.test".into(),
            naptr: DnsAnswer::Records(vec![]),
            srv: vec![SrvLookup {
                name: "_sips._tcp.example.test".into(),
                answer: DnsAnswer::Records(records),
            }],
            capped: None,
        }
    }

    fn hosts(found: &[Found]) -> Vec<(Option<&str>, u16)> {
        found.iter().map(|f| (f.host.as_deref(), f.port)).collect()
    }

    #[test]
    fn srv_targets_come_in_priority_then_weight_order() {
        let found = endpoints(lookup(vec![
            srv(20, 0, 5061, "backup.example.test"),
            srv(10, 10, 5061, "light.example.test"),
            srv(10, 60, 5062, "heavy.example.test"),
        ]));
        assert_eq!(
            hosts(&found),
            [
                (Some("heavy.example.test"), 5062),
                (Some("light.example.test"), 5061),
                (Some("backup.example.test"), 5061)
            ]
        );
    }

    #[test]
    fn no_srv_record_means_the_domain_on_5061_and_a_dot_means_no_server() {
        let found = endpoints(lookup(vec![]));
        assert_eq!(hosts(&found), [(Some("example.test"), 5061)]);
        assert_eq!(found[0].location.route, Route::DomainAddress);
        let found = endpoints(lookup(vec![srv(0, 0, 0, "")]));
        assert_eq!(hosts(&found), [(None, 5061)]);
        assert_eq!(found[0].location.route, Route::NoServer);
    }

    #[test]
    fn the_endpoints_of_one_domain_are_bounded() {
        let many = (0..40)
            .map(|i| srv(10, 0, 5061, &format!("s{i}.example.test")))
            .collect();
        let found = endpoints(lookup(many));
        assert_eq!(found.len(), MAX_ENDPOINTS);
        assert_eq!(found[0].location.lookup.capped, Some((MAX_ENDPOINTS, 40)));
    }
}
