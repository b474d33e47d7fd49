//! DNS lookups of certscan's own (hickory): the CAA RRset relevant to a name, found by climbing
//! the tree as RFC 8659 section 3 says. Records what the DNS answered; the CAA rules are applied
//! in the analysis. Every lookup (a CAA climb, a name's addresses, a SIP domain's records) gets a
//! resolver of its own, made from one configuration read once ([`Resolvers`]), so that a hostile
//! answer (a TCP answer that never ends) holds up only the lookup that asked for it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::ProtoError;
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};
use tokio::time::{Instant, timeout_at};

use super::dns_wire;
use certscan_model::evidence::{CaaLookup, CaaOutcome, CaaRecord};

/// Where certscan sends its DNS queries.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// A specific server (`--dns-server`); the system's resolv.conf servers when `None`.
    pub server: Option<SocketAddr>,
    /// Bounds each query.
    pub timeout: Duration,
    /// Names looked up at once.
    pub concurrency: usize,
}

/// The resolver configuration of a run, read once; each lookup makes its resolver from it.
/// Resolvers share no connection: hickory sends the queries of one resolver over one TCP
/// connection, where an answer that never ends holds up every answer after it.
#[derive(Clone)]
pub(crate) struct Resolvers {
    config: ResolverConfig,
    options: ResolverOpts,
    /// The servers asked, for the lenient fallback in `dns_wire`.
    servers: Vec<SocketAddr>,
    timeout: Duration,
}

impl Resolvers {
    /// DNS only (never /etc/hosts), the servers of `--dns-server` or of the system's
    /// configuration, each query bounded by the options' timeout.
    pub(crate) fn new(options: &DnsOptions) -> Result<Resolvers, String> {
        let (config, mut resolver_options) = match options.server {
            Some(server) => {
                let (mut udp, mut tcp) = (ConnectionConfig::udp(), ConnectionConfig::tcp());
                udp.port = server.port();
                tcp.port = server.port();
                let config =
                    ResolverConfig::from_name_servers(vec![NameServerConfig::new(server.ip(), true, vec![udp, tcp])]);
                (config, ResolverOpts::default())
            }
            None => hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
        };
        let servers = match options.server {
            Some(server) => vec![server],
            None => config
                .name_servers()
                .iter()
                .map(|ns| SocketAddr::new(ns.ip, 53))
                .collect(),
        };
        resolver_options.use_hosts_file = ResolveHosts::Never;
        resolver_options.timeout = options.timeout;
        resolver_options.attempts = if options.server.is_some() { 1 } else { 2 };
        Ok(Resolvers {
            config,
            options: resolver_options,
            servers,
            timeout: options.timeout,
        })
    }

    /// A resolver for one lookup.
    pub(crate) fn resolver(&self) -> Result<TokioResolver, String> {
        let mut builder = Resolver::builder_with_config(self.config.clone(), TokioRuntimeProvider::default());
        *builder.options_mut() = self.options.clone();
        builder
            .build()
            .map_err(|e| format!("cannot set up DNS resolution: {e}"))
    }
}

/// CAA RRsets asked for in this run, by owner name: names under one parent climb to it once,
/// and a lookup already under way is waited for, not repeated. Bounded: past
/// [`CACHED_ANSWERS`] names, the finished ones are forgotten.
#[derive(Default)]
struct AnswerCache {
    answers: Mutex<HashMap<Name, Arc<tokio::sync::OnceCell<CaaAnswer>>>>,
}

/// The CAA RRset at one name (none: climb on), or why there is no answer.
type CaaAnswer = Result<Vec<CaaRecord>, String>;

/// Owner names whose CAA answers are kept.
const CACHED_ANSWERS: usize = 4096;

impl AnswerCache {
    async fn get(&self, caa: &CaaResolver<'_>, name: &Name) -> CaaAnswer {
        let cell = {
            let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
            if answers.len() >= CACHED_ANSWERS {
                answers.retain(|_, cell| !cell.initialized());
            }
            answers.entry(name.clone()).or_default().clone()
        };
        cell.get_or_init(|| caa_rrset(caa, name)).await.clone()
    }
}

/// One CAA climb: its resolver, and the run's servers and cache.
struct CaaResolver<'a> {
    resolver: TokioResolver,
    resolvers: &'a Resolvers,
    cache: &'a AnswerCache,
}

/// CAA lookups for a whole run: one resolver (and its cache) for every name, and a bound on
/// the lookups made at once.
pub struct CaaLookups {
    resolvers: Result<Resolvers, String>,
    cache: AnswerCache,
    permits: Arc<tokio::sync::Semaphore>,
}

impl CaaLookups {
    pub fn new(options: &DnsOptions) -> CaaLookups {
        CaaLookups {
            resolvers: Resolvers::new(options),
            cache: AnswerCache::default(),
            permits: Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1))),
        }
    }

    /// The relevant CAA RRset of `name`; a lookup that has not finished by `deadline` is a
    /// failed one.
    pub async fn lookup(&self, name: &str, deadline: Instant) -> CaaLookup {
        let resolver = match &self.resolvers {
            Ok(resolvers) => resolvers.resolver().map(|resolver| CaaResolver {
                resolver,
                resolvers,
                cache: &self.cache,
            }),
            Err(error) => Err(error.clone()),
        };
        let resolver = match resolver {
            Ok(resolver) => resolver,
            Err(error) => {
                return CaaLookup {
                    name: name.to_string(),
                    outcome: CaaOutcome::Failed { error },
                };
            }
        };
        let climb = async {
            let _permit = self.permits.acquire().await;
            relevant_caa(&resolver, name).await
        };
        // A climb makes one query per label: the deadline bounds the whole of it.
        let outcome = match timeout_at(deadline, climb).await {
            Ok(outcome) => outcome,
            Err(_) => CaaOutcome::Failed {
                error: "no answer before the lookup deadline".into(),
            },
        };
        CaaLookup {
            name: name.to_string(),
            outcome,
        }
    }
}

/// RFC 8659 section 3: the CAA RRset of the name itself, else of its closest ancestor that has
/// one (up to but excluding the root). CNAMEs on the name are followed by the resolver; the climb
/// continues from the name itself, never from a CNAME target's parent. NXDOMAIN and NODATA mean
/// "climb"; any other failure stops the search.
async fn relevant_caa(caa: &CaaResolver<'_>, name: &str) -> CaaOutcome {
    let base = name.strip_prefix("*.").unwrap_or(name);
    let mut current = match Name::from_utf8(base) {
        Ok(name) => name,
        Err(e) => {
            return CaaOutcome::Failed {
                error: format!("{base:?} is not a DNS name: {e}"),
            };
        }
    };
    current.set_fqdn(true);
    while !current.is_root() {
        let answer = caa.cache.get(caa, &current).await;
        match answer {
            Ok(records) if !records.is_empty() => {
                let at = current.to_utf8();
                return CaaOutcome::Found {
                    at: at.trim_end_matches('.').to_string(),
                    records,
                };
            }
            Ok(_) => {}
            Err(error) => return CaaOutcome::Failed { error },
        }
        current = current.base_name();
    }
    CaaOutcome::NotFound
}

/// Asks for the CAA RRset at one name.
async fn caa_rrset(caa: &CaaResolver<'_>, current: &Name) -> CaaAnswer {
    let current = current.clone();
    {
        match caa.resolver.lookup(current.clone(), RecordType::CAA).await {
            Ok(lookup) => {
                let records: Vec<CaaRecord> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::CAA(caa) => Some(CaaRecord {
                            flags: caa.flags(),
                            tag: caa.tag.clone(),
                            value: caa.value.clone(),
                        }),
                        _ => None,
                    })
                    .collect();
                // CNAMEs without an end are a failed lookup, never "no CAA here".
                match (records.is_empty(), unfinished_cname_chain(&current, lookup.answers())) {
                    (true, Some(error)) => Err(error),
                    _ => Ok(records),
                }
            }
            // No CAA here, unless the name is a CNAME chain without an end (the resolver gives
            // up on those as if they held no records).
            Err(e) if e.is_no_records_found() => match endless_cname_chain(&caa.resolver, &current).await {
                Some(error) => Err(error),
                None => Ok(vec![]),
            },
            // Records the library will not decode (e.g. a tag longer than 15 octets): read them leniently.
            Err(NetError::Proto(ProtoError::Decode(_))) => lenient_lookup(caa.resolvers, &current).await,
            Err(e) => Err(format!("CAA query for {current} failed: {e}")),
        }
    }
}

/// Follows the CNAME records from `start` one query at a time; says why the chain has no end,
/// if it has none.
pub(crate) async fn endless_cname_chain(resolver: &TokioResolver, start: &Name) -> Option<String> {
    let mut answers = Vec::new();
    let mut current = start.clone();
    for _ in 0..=MAX_CNAME_CHAIN {
        let Ok(lookup) = resolver.lookup(current.clone(), RecordType::CNAME).await else {
            return None;
        };
        let next = lookup.answers().iter().find_map(|record| match &record.data {
            RData::CNAME(target) => Some(target.0.clone()),
            _ => None,
        })?;
        answers.extend(lookup.answers().iter().cloned());
        if let Some(error) = unfinished_cname_chain(start, &answers) {
            return Some(error);
        }
        current = next;
    }
    unfinished_cname_chain(start, &answers)
}

/// Most CNAMEs followed from one name before the chain counts as endless.
const MAX_CNAME_CHAIN: usize = 8;

/// Why the CNAME chain in an answer has no end, if it has none: it comes back to a name it
/// passed (a loop), or it is longer than [`MAX_CNAME_CHAIN`] and still goes on.
fn unfinished_cname_chain(start: &Name, answers: &[hickory_proto::rr::Record]) -> Option<String> {
    let alias_of = |name: &Name| {
        answers.iter().find_map(|record| match &record.data {
            RData::CNAME(target) if record.name.eq_case(name) || record.name == *name => Some(target.0.clone()),
            _ => None,
        })
    };
    let mut seen = vec![start.clone()];
    let mut current = start.clone();
    while let Some(next) = alias_of(&current) {
        if seen.contains(&next) {
            let path: Vec<String> = seen.iter().chain(std::iter::once(&next)).map(|n| n.to_utf8()).collect();
            return Some(format!(
                "the CNAME chain loops ({}): nothing can be concluded",
                path.join(" -> ")
            ));
        }
        if seen.len() > MAX_CNAME_CHAIN {
            return Some(format!(
                "the CNAME chain from {start} goes on past {MAX_CNAME_CHAIN} names: nothing can be concluded"
            ));
        }
        seen.push(next.clone());
        current = next;
    }
    None
}

async fn lenient_lookup(resolvers: &Resolvers, name: &Name) -> Result<Vec<CaaRecord>, String> {
    let mut last_error = format!("no DNS server to ask for {name}");
    for server in &resolvers.servers {
        match dns_wire::query_caa(*server, &name.to_ascii(), resolvers.timeout).await {
            Ok(dns_wire::CaaAnswer::Records(records)) => return Ok(records),
            Ok(dns_wire::CaaAnswer::NoRecords) => return Ok(vec![]),
            Err(error) => last_error = format!("CAA query for {name} failed: {error}"),
        }
    }
    Err(last_error)
}
