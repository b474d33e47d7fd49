//! Name resolution three ways, for every name that matters to a target: the hosts file alone,
//! the system resolver (what `getent ahosts` and every client on the machine see), and DNS alone.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::dns::{DnsOptions, resolver};
use super::hosts::HostsFile;
use crate::evidence::NameResolution;

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

/// Resolves every name, concurrently; the result is in `names` order.
pub async fn resolve_names(names: &[String], options: &ResolutionOptions) -> Vec<NameResolution> {
    if names.is_empty() {
        return vec![];
    }
    let dns = options
        .dns
        .as_ref()
        .map(|dns_options| resolver(dns_options).map(Arc::new));
    let mut tasks = JoinSet::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(
        options.dns.as_ref().map_or(100, |d| d.concurrency).max(1),
    ));
    for (index, name) in names.iter().enumerate() {
        let permits = permits.clone();
        let name = name.clone();
        let hosts_file = options.hosts.lookup(&name);
        let (system, timeout, dns) = (options.system, options.timeout, dns.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let system = match system {
                false => None,
                true => Some(
                    match tokio::time::timeout(timeout, tokio::net::lookup_host((name.as_str(), 0))).await {
                        Err(_) => Err(format!("no answer within {} s", timeout.as_secs_f64())),
                        Ok(Err(e)) => Err(e.to_string()),
                        Ok(Ok(found)) => Ok(unique(found.map(|a| a.ip()))),
                    },
                ),
            };
            let dns = match dns {
                None => None,
                Some(Err(error)) => Some(Err(error)),
                Some(Ok(resolver)) => Some(
                    match tokio::time::timeout(timeout * 2, resolver.lookup_ip(format!("{name}."))).await {
                        Err(_) => Err(format!("no answer within {} s", (timeout * 2).as_secs_f64())),
                        Ok(Err(e)) if e.is_no_records_found() => Ok(vec![]),
                        Ok(Err(e)) => Err(e.to_string()),
                        Ok(Ok(found)) => Ok(unique(found.iter())),
                    },
                ),
            };
            (
                index,
                NameResolution {
                    name,
                    hosts_file,
                    system,
                    dns,
                },
            )
        });
    }
    let mut results = tasks.join_all().await;
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, resolution)| resolution).collect()
}
