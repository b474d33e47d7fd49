//! How a SIP domain's servers were found: the NAPTR and SRV records a SIP client reads to reach
//! a `sips:` domain (RFC 3263), as the DNS answered them, and which record led to each endpoint.

use std::fmt;

/// A DNS answer as the lookup got it: the records (none is a valid answer), or why there is
/// no answer (a server failure, a timeout).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DnsAnswer<T> {
    Records(Vec<T>),
    Failed(String),
}

impl<T> DnsAnswer<T> {
    /// The records, none when the lookup failed.
    pub fn records(&self) -> &[T] {
        match self {
            DnsAnswer::Records(records) => records,
            DnsAnswer::Failed(_) => &[],
        }
    }
}

/// A NAPTR record (RFC 3403) of the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NaptrRecord {
    pub order: u16,
    pub preference: u16,
    pub flags: String,
    /// The service, e.g. `SIPS+D2T` (SIP over TLS over TCP).
    pub services: String,
    /// The SRV name it points to (no trailing dot), empty for ".".
    pub replacement: String,
}

impl NaptrRecord {
    /// Whether the record offers SIP over TLS (RFC 3263 section 4.1: `SIPS+D2T`).
    pub fn offers_sips(&self) -> bool {
        self.services.eq_ignore_ascii_case("SIPS+D2T")
    }
}

impl fmt::Display for NaptrRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} \"{}\" \"{}\" {}",
            self.order,
            self.preference,
            self.flags,
            self.services,
            if self.replacement.is_empty() {
                "."
            } else {
                &self.replacement
            }
        )
    }
}

/// An SRV record (RFC 2782).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// The host (no trailing dot); empty for ".", "decidedly not available".
    pub target: String,
}

impl fmt::Display for SrvRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = if self.target.is_empty() { "." } else { &self.target };
        write!(f, "{} {} {} {target}", self.priority, self.weight, self.port)
    }
}

/// The SRV lookup of one name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SrvLookup {
    pub name: String,
    pub answer: DnsAnswer<SrvRecord>,
}

/// Everything the lookup of a SIP domain found: the same for every endpoint of the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipLookup {
    /// The SIP domain, the identity its servers' certificates must carry (RFC 5922).
    pub domain: String,
    pub naptr: DnsAnswer<NaptrRecord>,
    /// The SRV names asked, in the order asked: the NAPTR replacements, else `_sips._tcp.DOMAIN`.
    pub srv: Vec<SrvLookup>,
    /// SRV targets left out to keep the run bounded: (kept, total).
    pub capped: Option<(usize, usize)>,
}

/// Which record led to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Route {
    /// An SRV record of this name.
    Srv { name: String, record: SrvRecord },
    /// No SRV record: the domain's own addresses, on the SIPS port 5061 (RFC 3263 section 4.2).
    DomainAddress,
    /// No server: every SRV record says "." (RFC 2782: the service is decidedly not available),
    /// or the NAPTR records send SIPS nowhere.
    NoServer,
}

/// An endpoint found from a SIP domain: the lookup, and the record that led to this endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SipLocation {
    pub lookup: std::sync::Arc<SipLookup>,
    pub route: Route,
}

impl SipLocation {
    /// The lookup path to this endpoint, one step per line, e.g.
    /// `SRV _sips._tcp.example.com: 10 60 5061 sbc1.example.com`.
    pub fn path(&self) -> Vec<String> {
        let lookup = &self.lookup;
        let mut steps = vec![];
        match &lookup.naptr {
            DnsAnswer::Records(records) if records.is_empty() => {
                steps.push(format!("NAPTR {}: none", lookup.domain));
            }
            DnsAnswer::Records(records) => {
                for record in records {
                    steps.push(format!("NAPTR {}: {record}", lookup.domain));
                }
            }
            DnsAnswer::Failed(error) => steps.push(format!("NAPTR {}: failed ({error})", lookup.domain)),
        }
        for srv in &lookup.srv {
            match &srv.answer {
                DnsAnswer::Records(records) if records.is_empty() => steps.push(format!("SRV {}: none", srv.name)),
                DnsAnswer::Records(records) => {
                    for record in records {
                        let mark = match &self.route {
                            Route::Srv { name, record: own } if *name == srv.name && own == record => {
                                " (this endpoint)"
                            }
                            _ => "",
                        };
                        steps.push(format!("SRV {}: {record}{mark}", srv.name));
                    }
                }
                DnsAnswer::Failed(error) => steps.push(format!("SRV {}: failed ({error})", srv.name)),
            }
        }
        if self.route == Route::DomainAddress {
            steps.push(format!("A/AAAA {} on port 5061 (this endpoint)", lookup.domain));
        }
        steps
    }
}
