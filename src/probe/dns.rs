//! DNS lookups of certscan's own (hickory): the CAA RRset relevant to a name, found by climbing
//! the tree as RFC 8659 section 3 says. Records what the DNS answered; the CAA rules are applied
//! in the analysis.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::ProtoError;
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};
use tokio::task::JoinSet;

use super::dns_wire;
use crate::evidence::{CaaLookup, CaaOutcome, CaaRecord};

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

/// The resolver, and the servers it asks (for the lenient fallback in `dns_wire`).
struct CaaResolver {
    resolver: TokioResolver,
    servers: Vec<SocketAddr>,
    timeout: Duration,
}

fn caa_resolver(options: &DnsOptions) -> Result<CaaResolver, String> {
    let servers = match options.server {
        Some(server) => vec![server],
        None => hickory_resolver::system_conf::read_system_conf()
            .map(|(config, _)| {
                config
                    .name_servers()
                    .iter()
                    .map(|ns| SocketAddr::new(ns.ip, 53))
                    .collect()
            })
            .unwrap_or_default(),
    };
    Ok(CaaResolver {
        resolver: resolver(options)?,
        servers,
        timeout: options.timeout,
    })
}

/// A resolver that answers from DNS only (never /etc/hosts).
pub fn resolver(options: &DnsOptions) -> Result<TokioResolver, String> {
    let mut builder = match options.server {
        Some(server) => {
            let (mut udp, mut tcp) = (ConnectionConfig::udp(), ConnectionConfig::tcp());
            udp.port = server.port();
            tcp.port = server.port();
            let config =
                ResolverConfig::from_name_servers(vec![NameServerConfig::new(server.ip(), true, vec![udp, tcp])]);
            Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => Resolver::builder_tokio().map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
    };
    let opts = builder.options_mut();
    opts.use_hosts_file = ResolveHosts::Never;
    opts.timeout = options.timeout;
    opts.attempts = if options.server.is_some() { 1 } else { 2 };
    builder
        .build()
        .map_err(|e| format!("cannot set up DNS resolution: {e}"))
}

/// Looks up the relevant CAA RRset of every name, concurrently; the result is in `names` order.
pub async fn lookup_caa(names: &[String], options: &DnsOptions) -> Vec<CaaLookup> {
    let resolver = match caa_resolver(options) {
        Ok(resolver) => Arc::new(resolver),
        Err(error) => {
            return names
                .iter()
                .map(|name| CaaLookup {
                    name: name.clone(),
                    outcome: CaaOutcome::Failed { error: error.clone() },
                })
                .collect();
        }
    };
    // A climb makes one query per label; bound the whole of it.
    let limit = options.timeout * 8;
    let mut lookups = JoinSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    for (index, name) in names.iter().enumerate() {
        let (resolver, name, permits) = (resolver.clone(), name.clone(), permits.clone());
        lookups.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let outcome = match tokio::time::timeout(limit, relevant_caa(&resolver, &name)).await {
                Ok(outcome) => outcome,
                Err(_) => CaaOutcome::Failed {
                    error: format!("no answer within {} s", limit.as_secs_f64()),
                },
            };
            (index, CaaLookup { name, outcome })
        });
    }
    let mut results = lookups.join_all().await;
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, lookup)| lookup).collect()
}

/// RFC 8659 section 3: the CAA RRset of the name itself, else of its closest ancestor that has
/// one (up to but excluding the root). CNAMEs on the name are followed by the resolver; the climb
/// continues from the name itself, never from a CNAME target's parent. NXDOMAIN and NODATA mean
/// "climb"; any other failure stops the search.
async fn relevant_caa(caa: &CaaResolver, name: &str) -> CaaOutcome {
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
        let answer = match caa.resolver.lookup(current.clone(), RecordType::CAA).await {
            Ok(lookup) => Ok(lookup
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
                .collect::<Vec<_>>()),
            Err(e) if e.is_no_records_found() => Ok(vec![]),
            // Records the library will not decode (e.g. a tag longer than 15 octets): read them leniently.
            Err(NetError::Proto(ProtoError::Decode(_))) => lenient_lookup(caa, &current).await,
            Err(e) => Err(format!("CAA query for {current} failed: {e}")),
        };
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

async fn lenient_lookup(caa: &CaaResolver, name: &Name) -> Result<Vec<CaaRecord>, String> {
    let mut last_error = format!("no DNS server to ask for {name}");
    for server in &caa.servers {
        match dns_wire::query_caa(*server, &name.to_ascii(), caa.timeout).await {
            Ok(dns_wire::CaaAnswer::Records(records)) => return Ok(records),
            Ok(dns_wire::CaaAnswer::NoRecords) => return Ok(vec![]),
            Err(error) => last_error = format!("CAA query for {name} failed: {error}"),
        }
    }
    Err(last_error)
}
