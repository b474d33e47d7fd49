//! Name resolution three ways, for every name that matters to a target: the hosts file alone,
//! the system resolver (what `getent ahosts` and every client on the machine see), and DNS alone.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, timeout_at};

use super::dns::{DnsOptions, Resolvers};
use super::hosts::HostsFile;
use certscan_model::evidence::NameResolution;

/// Which views to gather.
#[derive(Debug, Clone)]
pub struct ResolutionOptions {
    pub hosts: HostsFile,
    /// Ask the system resolver too (it may send DNS queries of its own).
    pub system: bool,
    /// Ask DNS directly; `None` with --no-dns.
    pub dns: Option<DnsOptions>,
    pub timeout: Duration,
}

fn unique(addresses: impl IntoIterator<Item = IpAddr>) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for address in addresses {
        if !out.contains(&address) {
            out.push(address);
        }
    }
    out
}

/// A name as an absolute DNS name (the root when it is not one: nothing follows from it).
fn name_of(name: &str) -> hickory_proto::rr::Name {
    hickory_proto::rr::Name::from_utf8(format!("{}.", name.trim_end_matches('.')))
        .unwrap_or_else(|_| hickory_proto::rr::Name::root())
}

/// Name resolution for a whole run: the DNS configuration, read once (each name is looked up
/// with a resolver of its own), and a bound on the names resolved at once.
pub struct NameLookups {
    options: ResolutionOptions,
    dns: Option<Result<Resolvers, String>>,
    permits: Arc<tokio::sync::Semaphore>,
}

impl NameLookups {
    pub fn new(options: &ResolutionOptions) -> NameLookups {
        NameLookups {
            options: options.clone(),
            dns: options.dns.as_ref().map(Resolvers::new),
            permits: Arc::new(tokio::sync::Semaphore::new(
                options.dns.as_ref().map_or(100, |d| d.concurrency).max(1),
            )),
        }
    }

    /// Resolves `name` every way at once; nothing runs past `deadline`, and a view that has not
    /// answered by then is a failed lookup.
    pub async fn resolve(&self, name: &str, deadline: Instant) -> NameResolution {
        let (hosts_file, hosts_lines): (Vec<IpAddr>, Vec<usize>) =
            self.options.hosts.lookup_lines(name).into_iter().unzip();
        let (system, timeout) = (self.options.system, self.options.timeout);
        let late = || Err("no answer before the lookup deadline".to_string());
        let _permit = match timeout_at(deadline, self.permits.acquire()).await {
            Ok(Ok(permit)) => Some(permit),
            _ => None,
        };
        let system_view = async {
            if !system {
                return None;
            }
            let lookup = tokio::time::timeout(timeout, tokio::net::lookup_host((name, 0)));
            Some(match timeout_at(deadline, lookup).await {
                Err(_) => late(),
                Ok(Err(_)) => Err(format!("no answer within {} s", timeout.as_secs_f64())),
                Ok(Ok(Err(e))) => Err(e.to_string()),
                Ok(Ok(Ok(found))) => Ok(unique(found.map(|a| a.ip()))),
            })
        };
        let dns_view = async {
            match &self.dns {
                None => None,
                Some(Err(error)) => Some(Err(error.clone())),
                Some(Ok(resolvers)) => Some(match resolvers.resolver() {
                    Err(error) => Err(error),
                    Ok(resolver) => {
                        let resolver = &resolver;
                        match timeout_at(deadline, resolver.lookup_ip(format!("{name}."))).await {
                            Err(_) => late(),
                            // No address, unless the name is a CNAME chain without an end.
                            Ok(Err(e)) if e.is_no_records_found() => {
                                match super::dns::endless_cname_chain(resolver, &name_of(name)).await {
                                    Some(error) => Err(error),
                                    None => Ok(vec![]),
                                }
                            }
                            Ok(Err(e)) => Err(e.to_string()),
                            Ok(Ok(found)) => Ok(unique(found.iter())),
                        }
                    }
                }),
            }
        };
        let (system, dns) = tokio::join!(system_view, dns_view);
        NameResolution {
            name: name.to_string(),
            hosts_file,
            hosts_lines,
            system,
            dns,
        }
    }
}
