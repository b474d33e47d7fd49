//! One run, from a validated plan to results, streamed: targets are read as the scan goes,
//! each is probed, given the disk, CAA and name-resolution evidence it calls for, and analysed,
//! and its results are handed on as soon as they are known, so nothing grows with the list.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{Notify, OnceCell, Semaphore, mpsc};
use tokio::time::{Instant, timeout_at};

use crate::target_source::{self, Item, TargetSource};
use certscan_checks::{Enriched, Parsed, Policy, TargetResult, assess_all, caa, issuers, resolution, revocation};
use certscan_model::evidence::{
    CaaLookup, Cap, Evidence, IssuerFetch, Lookups, NameResolution, Observation, Origin, RevocationFetch,
    RevocationMethod,
};
use certscan_model::target::{Extra, FileTarget, Host, Target};
use certscan_probe::dns::{CaaLookups, DnsOptions};
use certscan_probe::names::{NameLookups, ResolutionOptions};
use certscan_probe::sip_locate::SipLocator;
use certscan_probe::slots::Slots;
use certscan_probe::{self as probe, ProbeOptions};
use certscan_x509::certificate::CertInfo;

/// Everything a scan needs, validated.
pub struct Plan {
    /// The targets, read while the scan runs.
    pub targets: TargetSource,
    /// URLs a platform's configuration names that are not TLS (Kazoo's UI API), with the file.
    pub insecure_urls: Vec<(PathBuf, String)>,
    pub files: Vec<FileTarget>,
    /// The password for PKCS#12 files, from `--password-env`.
    pub pkcs12_password: Option<String>,
    pub probe: ProbeOptions,
    /// Where this machine's own tables are read (`--config-root`, or `/` with `--local`), when the
    /// scan is about this machine.
    pub machine_root: Option<PathBuf>,
    /// `--shard`: this job's slice of the targets, files and configured URLs.
    pub shard: Option<certscan_model::target::Shard>,
    /// Files and configured URLs before `--shard` chose (an empty slice of a non-empty list
    /// is a fine outcome for one job of many).
    pub unsharded_sources: usize,
    /// How long the run may work, from its start (`--deadline`, or `-t` in Nagios format).
    pub run_budget: Option<std::time::Duration>,
    /// Where certscan's own DNS queries go; `None` with --no-dns.
    pub dns: Option<DnsOptions>,
    /// How names are resolved for the hosts and DNS checks.
    pub resolution: ResolutionOptions,
    /// `--revocation`: how the leaf's revocation is asked about.
    pub revocation: Vec<RevocationMethod>,
    /// `--fetch-issuer`: fetch missing intermediates from the CA Issuers URLs.
    pub fetch_issuer: bool,
    pub policy: Policy,
}

/// Names looked up per source, for CAA and for resolution each: a leaf with thousands of SANs
/// must not cost thousands of queries.
pub(crate) const MAX_LOOKUP_NAMES: usize = 32;

/// Where a result belongs in a report that keeps the order of the input: targets in the order
/// read, then chain files, then the plain-HTTP URLs of configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Order {
    Target(u64),
    File(u64),
    ConfiguredUrl(u64),
}

/// What the end of a scan knows beyond its results.
#[derive(Debug, Clone, Default)]
pub struct ScanEnd {
    /// How many targets the list held, and how many this job kept (`--shard`).
    pub targets: target_source::Tally,
    /// Said when the open-file limit made endpoints wait for one another.
    pub open_files_note: Option<String>,
}

/// Results of earlier lookups in this run, so a name shared by many targets is asked once. An
/// entry is a cell that the first asker fills while the others wait for it.
struct Cache<T> {
    cells: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

/// Names remembered at most; beyond it, finished entries are forgotten (memory stays flat).
const CACHE_NAMES: usize = 4096;

impl<T: Clone> Cache<T> {
    fn new() -> Cache<T> {
        Cache {
            cells: Mutex::new(HashMap::new()),
        }
    }

    async fn get<F: Future<Output = T>>(&self, name: &str, fetch: impl FnOnce() -> F) -> T {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if cells.len() >= CACHE_NAMES {
                cells.retain(|_, cell| !cell.initialized());
            }
            cells.entry(name.to_string()).or_default().clone()
        };
        cell.get_or_init(fetch).await.clone()
    }
}

/// What every target of a run shares.
struct Context {
    plan: Arc<Plan>,
    probe: Arc<ProbeOptions>,
    slots: Arc<Slots>,
    caa: Option<CaaLookups>,
    /// Finds the servers of `sips:` domains; `None` with --no-dns.
    sip: Option<SipLocator>,
    names: NameLookups,
    caa_cache: Cache<CaaLookup>,
    name_cache: Cache<NameResolution>,
    /// CRLs fetched in this run, by URL (many leaves share one).
    crl_cache: Cache<Result<Vec<u8>, String>>,
    /// OCSP answers of this run, by responder and request (one certificate served on several
    /// ports or addresses is asked about once).
    ocsp_cache: Cache<Result<Vec<u8>, String>>,
}

impl Context {
    /// The run's shared state: the probe options with the run's deadline, the slots, the lookups
    /// and what they remember.
    fn new(plan: Arc<Plan>) -> Context {
        let mut probe_options = plan.probe.clone();
        probe_options.deadline = plan.run_budget.map(|budget| Instant::now() + budget);
        Context {
            probe: Arc::new(probe_options),
            slots: Arc::new(Slots::new(plan.probe.slots)),
            caa: plan.dns.as_ref().map(CaaLookups::new),
            sip: plan.dns.as_ref().map(SipLocator::new),
            names: NameLookups::new(&plan.resolution),
            caa_cache: Cache::new(),
            name_cache: Cache::new(),
            crl_cache: Cache::new(),
            ocsp_cache: Cache::new(),
            plan,
        }
    }
}

/// The names of every source to ask about, capped at [`MAX_LOOKUP_NAMES`] (the cap, when reached,
/// is recorded in the source's evidence).
fn lookup_requests(
    sources: &[Parsed],
    lookups: &mut [Lookups],
    what: &'static str,
    names_of: impl Fn(&Parsed) -> Vec<String>,
) -> Vec<Vec<String>> {
    sources
        .iter()
        .zip(lookups.iter_mut())
        .map(|(source, lookups)| {
            let mut names = names_of(source);
            if names.len() > MAX_LOOKUP_NAMES {
                lookups.caps.push(Cap {
                    what,
                    kept: MAX_LOOKUP_NAMES,
                    total: names.len(),
                });
                names.truncate(MAX_LOOKUP_NAMES);
            }
            names
        })
        .collect()
}

/// The names once each, in first-seen order.
fn unique(per_source: &[Vec<String>]) -> Vec<String> {
    let mut seen = HashSet::new();
    per_source
        .iter()
        .flatten()
        .filter(|name| seen.insert(name.as_str()))
        .cloned()
        .collect()
}

/// Looks up CAA for the leaf names of every chain and resolves every source's names (the
/// target's and the leaf's), both at once and each name once in the run, all before
/// `deadline`, then attaches what was found to each source.
async fn add_lookups(sources: &[Parsed], lookups: &mut [Lookups], context: &Context, deadline: Instant) {
    let plan = &context.plan;
    let issuer_given = !plan.policy.caa_issuers.is_empty();
    let caa_per_source = match &context.caa {
        None => vec![vec![]; sources.len()],
        Some(_) => lookup_requests(sources, lookups, "certificate names looked up for CAA", |source| {
            source
                .leaf()
                .map(|leaf| caa::names_to_look_up(leaf, issuer_given))
                .unwrap_or_default()
        }),
    };
    let names_per_source = lookup_requests(sources, lookups, "names resolved", |source| {
        let mut names: Vec<String> = match &source.evidence.origin {
            Origin::Endpoint {
                host: Host::Dns(name), ..
            } => vec![name.clone()],
            Origin::Endpoint { .. } => vec![],
            Origin::File { .. } => plan
                .policy
                .names
                .iter()
                .filter(|n| n.parse::<std::net::IpAddr>().is_err())
                .cloned()
                .collect(),
        };
        if let Some(leaf) = source.leaf() {
            let mut seen: HashSet<String> = names.iter().cloned().collect();
            names.extend(
                resolution::certificate_names(leaf)
                    .into_iter()
                    .filter(|n| seen.insert(n.clone())),
            );
        }
        names
    });
    let (caa_unique, names_unique) = (unique(&caa_per_source), unique(&names_per_source));
    if caa_unique.is_empty() && names_unique.is_empty() {
        return;
    }
    let caa_lookups = futures_util::future::join_all(caa_unique.iter().filter_map(|name| {
        let lookups = context.caa.as_ref()?;
        Some(context.caa_cache.get(name, || lookups.lookup(name, deadline)))
    }));
    let resolutions = futures_util::future::join_all(
        names_unique
            .iter()
            .map(|name| context.name_cache.get(name, || context.names.resolve(name, deadline))),
    );
    let (caa_lookups, resolutions) = tokio::join!(caa_lookups, resolutions);
    let caa_by_name: HashMap<&str, &CaaLookup> = caa_lookups.iter().map(|l| (l.name.as_str(), l)).collect();
    let resolution_by_name: HashMap<&str, &NameResolution> = resolutions.iter().map(|r| (r.name.as_str(), r)).collect();
    for ((source, caa_names), resolution_names) in lookups.iter_mut().zip(caa_per_source).zip(names_per_source) {
        source.caa = caa_names
            .iter()
            .filter_map(|name| caa_by_name.get(name.as_str()).map(|l| (*l).clone()))
            .collect();
        source.names = resolution_names
            .iter()
            .filter_map(|name| resolution_by_name.get(name.as_str()).map(|r| (*r).clone()))
            .collect();
    }
}

/// The most bytes of a CA Issuers answer read.
const MAX_ISSUER_BYTES: usize = 64 * 1024;

/// For each chain that does not validate for want of an issuer, fetches the issuer from the CA
/// Issuers URL of the certificate whose issuer is missing, climbing at most
/// [`issuers::MAX_FETCHES`] levels, before `deadline`.
async fn issuer_fetches(chains: &[&[Arc<CertInfo>]], context: &Context, deadline: Instant) -> Vec<Vec<IssuerFetch>> {
    let plan = &context.plan;
    let (store, at_unix) = (&plan.policy.trust, plan.policy.at_unix);
    futures_util::future::join_all(chains.iter().map(|served| async move {
        if !plan.fetch_issuer || served.is_empty() {
            return vec![];
        }
        let parsed = &plan.policy.parsed;
        let mut chain: Vec<Arc<CertInfo>> = served.to_vec();
        if !issuers::needs_fetch(&chain, store, at_unix) {
            return vec![];
        }
        let mut fetches = vec![];
        for _ in 0..issuers::MAX_FETCHES {
            let url = match issuers::next_url(&chain, store) {
                Ok(Some(url)) => url,
                Ok(None) => break,
                Err(why) => {
                    fetches.push(IssuerFetch {
                        url: None,
                        answer: Err(why),
                    });
                    break;
                }
            };
            if fetches
                .iter()
                .any(|f: &IssuerFetch| f.url.as_deref() == Some(url.as_str()))
            {
                break;
            }
            let answer = probe::fetch::fetch(&url, probe::fetch::Request::Get, deadline, MAX_ISSUER_BYTES)
                .await
                .and_then(|body| probe::file::issuer_answer_certificates(&body));
            let climbed = match &answer {
                Ok(certificates) => {
                    chain.extend(certificates.iter().map(|der| parsed.parse(der, at_unix)));
                    true
                }
                Err(_) => false,
            };
            fetches.push(IssuerFetch { url: Some(url), answer });
            if !climbed {
                break;
            }
        }
        fetches
    }))
    .await
}

/// The most bytes of an OCSP response read.
const MAX_OCSP_BYTES: usize = 64 * 1024;
/// The most bytes of a CRL read (large CAs publish CRLs of several megabytes).
const MAX_CRL_BYTES: usize = 32 * 1024 * 1024;

/// Asks, for each chain (leaf first; empty for sources that served none), what `--revocation`
/// asks of its leaf, before `deadline`.
async fn revocation_fetches(
    chains: &[&[Arc<CertInfo>]],
    context: &Context,
    deadline: Instant,
) -> Vec<Vec<RevocationFetch>> {
    let plan = &context.plan;
    futures_util::future::join_all(chains.iter().map(|served| async move {
        if plan.revocation.is_empty() {
            return vec![];
        }
        let Some(leaf) = served.first().filter(|leaf| leaf.parsed()) else {
            return vec![];
        };
        let issuer = revocation::find_issuer(leaf, served[1..].iter().map(|c| &**c))
            .or_else(|| revocation::find_issuer(leaf, plan.policy.given_anchors.iter()));
        let mut fetches = vec![];
        for method in &plan.revocation {
            fetches.push(fetch_revocation(*method, leaf, issuer, context, deadline).await);
        }
        fetches
    }))
    .await
}

async fn fetch_revocation(
    method: RevocationMethod,
    leaf: &CertInfo,
    issuer: Option<&CertInfo>,
    context: &Context,
    deadline: Instant,
) -> RevocationFetch {
    let url = match method {
        RevocationMethod::Ocsp => leaf.ocsp_urls.first(),
        // LDAP distribution points come along with HTTP ones; only HTTP is fetched.
        RevocationMethod::Crl => leaf
            .crl_urls
            .iter()
            .find(|u| u.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")))
            .or(leaf.crl_urls.first()),
    };
    let Some(url) = url.cloned() else {
        let missing = match method {
            RevocationMethod::Ocsp => {
                "the certificate names no OCSP responder (no OCSP URL in its Authority Information Access)"
            }
            RevocationMethod::Crl => "the certificate names no CRL (no CRL Distribution Points)",
        };
        return RevocationFetch {
            method,
            url: None,
            answer: Err(missing.into()),
        };
    };
    let answer = match (method, issuer) {
        (RevocationMethod::Ocsp, None) => Err(
            "the leaf's issuer is not available (neither served nor given with --ca-file), so no OCSP request can be made"
                .to_string(),
        ),
        (RevocationMethod::Ocsp, Some(issuer)) => {
            let request = certscan_x509::ocsp::request(&certscan_x509::ocsp::CertId::new(
                certscan_x509::ocsp::Digest::Sha1,
                &issuer.subject_raw,
                &issuer.key_bits,
                &leaf.serial_raw,
            ));
            let key: String = std::iter::once(url.clone())
                .chain(request.iter().map(|b| format!("{b:02x}")))
                .collect();
            context
                .ocsp_cache
                .get(&key, || {
                    let post = probe::fetch::Request::Post {
                        content_type: "application/ocsp-request",
                        body: &request,
                    };
                    probe::fetch::fetch(&url, post, deadline, MAX_OCSP_BYTES)
                })
                .await
        }
        (RevocationMethod::Crl, _) => {
            context
                .crl_cache
                .get(&url, || {
                    probe::fetch::fetch(&url, probe::fetch::Request::Get, deadline, MAX_CRL_BYTES)
                })
                .await
        }
    };
    RevocationFetch {
        method,
        url: Some(url),
        answer,
    }
}

/// What the probe observed of one source, then the stages that follow: the disk facts, the
/// chain parsed once, the lookups and fetches the parsed chain asks for, then the checks. The
/// disk reads and the lookups take what is left of the source's `budget` (one `-t` for the
/// endpoint or file, within the run's deadline), never a budget of their own.
async fn finish(observed: Vec<Evidence>, context: &Context, budget: probe::Budget) -> Vec<TargetResult> {
    let plan = &context.plan;
    let observed = probe::disk::add_disk_evidence(
        observed,
        plan.pkcs12_password.clone(),
        plan.machine_root.clone(),
        budget,
    )
    .await;
    let sources: Vec<Parsed> = observed
        .into_iter()
        .map(|evidence| Parsed::new(evidence, &plan.policy))
        .collect();
    let lookups = look_up(&sources, context, budget.ends).await;
    let enriched: Vec<Enriched> = sources
        .into_iter()
        .zip(lookups)
        .map(|(parsed, lookups)| Enriched { parsed, lookups })
        .collect();
    assess_all(&enriched, &plan.policy)
}

/// What each source's parsed chain asks to be looked up and fetched: names and CAA, then
/// `--revocation` and `--fetch-issuer` when asked for, all at once.
async fn look_up(sources: &[Parsed], context: &Context, deadline: Instant) -> Vec<Lookups> {
    let plan = &context.plan;
    let mut lookups = vec![Lookups::default(); sources.len()];
    if plan.revocation.is_empty() && !plan.fetch_issuer {
        add_lookups(sources, &mut lookups, context, deadline).await;
        return lookups;
    }
    // Only chains that completed a handshake (or files) are asked about.
    let chains: Vec<&[Arc<CertInfo>]> = sources
        .iter()
        .map(|source| match &source.evidence.observation {
            Observation::Chain { .. } => source.chain.as_slice(),
            _ => &[],
        })
        .collect();
    let fetches = revocation_fetches(&chains, context, deadline);
    let issuers = issuer_fetches(&chains, context, deadline);
    let (_, fetched, issuers) = tokio::join!(add_lookups(sources, &mut lookups, context, deadline), fetches, issuers);
    for ((source, fetched), issuers) in lookups.iter_mut().zip(fetched).zip(issuers) {
        source.revocation = fetched;
        source.issuer_fetches = issuers;
    }
    lookups
}

/// Probes and analyses one target; a failure of the whole (a panic) is its UNKNOWN result.
async fn scan_target(target: Target, context: Arc<Context>) -> Vec<TargetResult> {
    let work = async {
        if let (true, Some(locator)) = (target.is_sip_domain(), &context.sip) {
            return Box::pin(scan_sip_domain(&target, locator, &context)).await;
        }
        let resolved = probe::resolve_target(target.clone(), &context.probe, &context.slots).await;
        // One budget for the endpoint from here: its connections, then its lookups.
        let budget = context.probe.budget();
        let evidence = probe::observe(resolved, &context.probe, &context.slots).await;
        // Boxed: the lookups' state is only allocated once the probe is done.
        Box::pin(finish(evidence, &context, budget)).await
    };
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(results) => results,
        Err(panic) => {
            let failed = probe::failed_target_evidence(&target, panic, context.probe.sni.clone());
            let failed = Enriched {
                parsed: Parsed::new(failed, &context.plan.policy),
                lookups: Lookups::default(),
            };
            assess_all(&[failed], &context.plan.policy)
        }
    }
}

/// Finds a SIP domain's servers as a SIP client does (RFC 3263), then probes every one found,
/// each checked against the domain (RFC 5922) and sent the domain as its server name.
async fn scan_sip_domain(target: &Target, locator: &SipLocator, context: &Context) -> Vec<TargetResult> {
    let domain = target.host.to_string();
    let found = locator.locate(&domain, context.probe.budget().ends).await;
    let mut not_probed = vec![];
    let mut endpoints = vec![];
    for endpoint in found {
        let mut located = target.clone();
        located.port = endpoint.port;
        located.port_given = true;
        located.extra.names = located.extra.names.or_else(|| Some(vec![domain.clone()]));
        located.extra.located = Some(endpoint.location);
        // What the DNS said instead of a server to connect to.
        let no_server = match endpoint.host.as_deref().map(Host::parse) {
            Some(Ok(host)) => {
                located.host = host;
                endpoints.push(located);
                continue;
            }
            Some(Err(error)) => format!("the SRV record names a host that is not a host name: {error}"),
            None => {
                format!("the SRV records of {domain} say no SIP-over-TLS server is offered (target \".\", RFC 2782)")
            }
        };
        not_probed.push(probe::no_server_evidence(
            &located,
            no_server,
            context.probe.sni.clone(),
        ));
    }
    let resolved = futures_util::future::join_all(
        endpoints
            .into_iter()
            .map(|endpoint| probe::resolve_target(endpoint, &context.probe, &context.slots)),
    )
    .await;
    // One budget for the endpoints from here: their connections, then their lookups.
    let budget = context.probe.budget();
    let observed = futures_util::future::join_all(
        resolved
            .into_iter()
            .map(|resolved| probe::observe(resolved, &context.probe, &context.slots)),
    )
    .await;
    // Endpoints that were not probed are done all the same (for a progress display).
    if let Some(probe::Progress(done)) = &context.probe.progress {
        not_probed.iter().for_each(|_| done());
    }
    let evidence = observed.into_iter().flatten().chain(not_probed).collect();
    finish(evidence, context, budget).await
}

/// Analyses one chain file as if a server had sent it.
async fn scan_file(file: FileTarget, context: &Context) -> Vec<TargetResult> {
    // One budget for the file: reading it, what it asks to be read beside it, its lookups.
    let budget = context.probe.budget();
    let mut read = probe::disk::read_chain_file_within(file.path, context.plan.pkcs12_password.clone(), budget).await;
    read.extra = file.extra;
    finish(vec![read], context, budget).await
}

/// A plain-HTTP API URL found in Kazoo's configuration.
async fn scan_configured_url(path: PathBuf, url: String, context: &Context) -> Vec<TargetResult> {
    let evidence = Evidence {
        input: url.clone(),
        origin: Origin::File { path: path.clone() },
        observation: Observation::PlainHttpUrl { url },
        deploy: Default::default(),
        extra: Extra {
            source: Some(format!("kazoo {}", path.display())),
            ..Extra::default()
        },
    };
    finish(vec![evidence], context, context.probe.budget()).await
}

/// After the run's deadline, how long a targets list may keep the scan waiting for its next
/// line (a file answers at once; a stalled standard input does not).
const LIST_GRACE_AFTER_DEADLINE: Duration = Duration::from_millis(200);

/// How long the results of finished targets may gather before they are handed over: one wakeup
/// of the writer (and one write) per gathering instead of one per result; a line reaches the
/// output at most this much later.
const RESULTS_GATHER: Duration = Duration::from_millis(10);

/// The most targets taken from the list at once: the thread that reads the list is woken
/// once per batch rather than once per target.
const LIST_BATCH: usize = 64;

/// The next item of the list: one already taken (`taken` holds them last first), or the first
/// of a new batch.
async fn next_item(items: &mut mpsc::Receiver<(u64, Item)>, taken: &mut Vec<(u64, Item)>) -> Option<(u64, Item)> {
    if taken.is_empty() {
        items.recv_many(taken, LIST_BATCH).await;
        taken.reverse();
    }
    taken.pop()
}

/// Whether more results are already waiting to be handed over: a writer that streams them can
/// gather them into one write and flush when none are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoreWaiting(pub bool);

/// Work that gives a source's results.
type Work = std::pin::Pin<Box<dyn Future<Output = Vec<TargetResult>> + Send>>;

/// Probes and analyses every target, file and configured URL; each one's results go through
/// `prepare` in the task that made them (a report line is rendered, and the results freed,
/// where they are still in that core's cache), then to `sink` as soon as they are known (in no
/// particular order; [`Order`] says where each belongs).
pub async fn scan<Prepared: Send + 'static>(
    plan: Arc<Plan>,
    source: TargetSource,
    prepare: impl Fn(Vec<TargetResult>) -> Prepared + Send + Sync + 'static,
    sink: impl FnMut(Order, Prepared, MoreWaiting),
) -> ScanEnd {
    let context = Arc::new(Context::new(plan.clone()));
    let (items_sender, items) = mpsc::channel::<(u64, Item)>(1024);
    let reader = tokio::task::spawn_blocking(move || {
        let mut index = 0u64;
        source.read(|item| {
            index += 1;
            items_sender.blocking_send((index, item)).is_ok()
        })
    });
    let (results_sender, results) = mpsc::channel::<(Order, Prepared)>(256);
    // Told when every target has handed over its results: the writer stops gathering.
    let all_sent = Notify::new();
    // Sources in progress at once: enough to fill every slot, few enough to keep memory flat.
    let in_progress_size = plan.probe.slots.active + plan.probe.slots.quiet;
    let dispatcher = Dispatcher {
        context: context.clone(),
        in_progress: Arc::new(Semaphore::new(in_progress_size)),
        in_progress_size,
        results: results_sender,
        prepare: Arc::new(prepare),
    };
    let (list_complete, ()) = tokio::join!(dispatcher.run(items, &all_sent), receive(results, &all_sent, sink));
    // A list still being read (a stalled standard input) is left behind.
    let tally = if list_complete {
        reader.await.unwrap_or_default()
    } else {
        target_source::Tally::default()
    };
    let open_files_note = context.slots.open_files_slowed_the_run().then(|| {
        format!(
            "the open-file limit let only {} unresponsive endpoints wait at once, so some waited for others to time out: raise the hard limit (ulimit -Hn, or LimitNOFILE= in a systemd unit) for faster scans",
            plan.probe.slots.quiet
        )
    });
    ScanEnd {
        targets: tally,
        open_files_note,
    }
}

/// Hands the results to `sink` as they come, letting results that come close together gather
/// (for one write) until every source has handed over its own.
async fn receive<Prepared>(
    mut results: mpsc::Receiver<(Order, Prepared)>,
    all_sent: &Notify,
    mut sink: impl FnMut(Order, Prepared, MoreWaiting),
) {
    let (mut gathered, mut everything_sent) = (Vec::new(), false);
    while results.recv_many(&mut gathered, 256).await > 0 {
        let last = gathered.len() - 1;
        for (i, (order, found)) in gathered.drain(..).enumerate() {
            sink(order, found, MoreWaiting(i < last));
        }
        if !everything_sent {
            tokio::select! {
                () = tokio::time::sleep(RESULTS_GATHER) => {}
                () = all_sent.notified() => everything_sent = true,
            }
        }
    }
}

/// Starts the work of every source, in order, as places to hold it come free.
struct Dispatcher<Prepared, F> {
    context: Arc<Context>,
    in_progress: Arc<Semaphore>,
    in_progress_size: usize,
    results: mpsc::Sender<(Order, Prepared)>,
    prepare: Arc<F>,
}

impl<Prepared, F> Dispatcher<Prepared, F>
where
    Prepared: Send + 'static,
    F: Fn(Vec<TargetResult>) -> Prepared + Send + Sync + 'static,
{
    /// Starts the targets of the list, then the files and configured URLs; whether the list was
    /// read to its end (the deadline may stop it).
    async fn run(self, mut items: mpsc::Receiver<(u64, Item)>, all_sent: &Notify) -> bool {
        // Files and configured URLs first: they are few, and a targets list that stalls (a FIFO
        // nothing writes to) must not leave them no time before the deadline.
        let context = &self.context;
        for (index, file) in context.plan.files.iter().enumerate() {
            let (file, context) = (file.clone(), context.clone());
            let work = Box::pin(async move { scan_file(file, &context).await });
            self.start(Order::File(index as u64), work).await;
        }
        for (index, (path, url)) in context.plan.insecure_urls.iter().enumerate() {
            let (path, url, context) = (path.clone(), url.clone(), context.clone());
            let work = Box::pin(async move { scan_configured_url(path, url, &context).await });
            self.start(Order::ConfiguredUrl(index as u64), work).await;
        }
        let list_complete = self.start_targets(&mut items).await;
        if !list_complete {
            let result = certscan_checks::invalid_target(
                "-",
                "the run's deadline came before the targets list ended: targets after this point were not scanned",
            );
            self.start(Order::Target(u64::MAX), Box::pin(async move { vec![result] }))
                .await;
        }
        // A target's permit comes back once its results are sent.
        let _ = self
            .in_progress
            .acquire_many(u32::try_from(self.in_progress_size).unwrap_or(u32::MAX))
            .await;
        all_sent.notify_one();
        list_complete
    }

    /// Starts each target of the list as it is read; whether the list was read to its end.
    async fn start_targets(&self, items: &mut mpsc::Receiver<(u64, Item)>) -> bool {
        let deadline = self.context.probe.deadline;
        let mut taken = Vec::new();
        loop {
            let next = match deadline {
                Some(deadline) if Instant::now() >= deadline => {
                    let next = next_item(items, &mut taken);
                    match tokio::time::timeout(LIST_GRACE_AFTER_DEADLINE, next).await {
                        Ok(next) => next,
                        Err(_) => return false,
                    }
                }
                Some(deadline) => match timeout_at(deadline, next_item(items, &mut taken)).await {
                    Ok(next) => next,
                    Err(_) => continue,
                },
                None => next_item(items, &mut taken).await,
            };
            let Some((index, item)) = next else { return true };
            if let Some(probe::Progress(queued)) = &self.context.probe.queued {
                queued();
            }
            let work: Work = match item {
                Item::Target(target) => Box::pin(scan_target(*target, self.context.clone())),
                Item::Invalid(invalid) => {
                    let result = certscan_checks::invalid_target(&invalid.input, &invalid.error);
                    Box::pin(async move { vec![result] })
                }
            };
            self.start(Order::Target(index), work).await;
        }
    }

    /// Waits for a place, then runs `work` in a task of its own that prepares and sends its
    /// results.
    async fn start(&self, order: Order, work: Work) {
        let (in_progress, results, prepare) = (self.in_progress.clone(), self.results.clone(), self.prepare.clone());
        let permit = in_progress.acquire_owned().await.ok();
        tokio::spawn(async move {
            let found = prepare(work.await);
            let _ = results.send((order, found)).await;
            drop(permit);
        });
    }
}
