//! A small authoritative DNS responder on 127.0.0.1 (UDP and TCP on one port) built on
//! hickory-proto, answering like a recursive resolver that knows only the test zone: CNAMEs are
//! chased, DNAME is synthesised below its owner, answers too large for UDP are truncated, and
//! names can be made to SERVFAIL or to go unanswered.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{CAA, CNAME, NAPTR, SRV};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

use super::Servers;

/// The records served.
#[derive(Default, Clone)]
pub struct Zone {
    caa: HashMap<String, Vec<CAA>>,
    addresses: HashMap<String, Vec<std::net::IpAddr>>,
    cname: HashMap<String, String>,
    dname: HashMap<String, String>,
    naptr: HashMap<String, Vec<NAPTR>>,
    srv: HashMap<String, Vec<SRV>>,
    servfail: HashSet<String>,
    silent: HashSet<String>,
    dripping: HashSet<String>,
    /// Queries received over UDP, by name (lower case, no trailing dot).
    asked: Arc<std::sync::Mutex<HashMap<String, usize>>>,
}

/// The queries a running server has received, by name.
#[derive(Clone)]
pub struct QueryCounter(Arc<std::sync::Mutex<HashMap<String, usize>>>);

impl QueryCounter {
    pub fn of(&self, name: &str) -> usize {
        self.0.lock().unwrap().get(&key(name)).copied().unwrap_or(0)
    }
}

/// A CAA record with any flags, tag and value (even ones a zone parser would refuse).
pub fn caa(flags: u8, tag: &str, value: &str) -> CAA {
    let mut record = CAA::new_issue(false, None, vec![]);
    record.issuer_critical = flags & 0x80 != 0;
    record.reserved_flags = flags & 0x7f;
    record.tag = tag.to_string();
    record.value = value.as_bytes().to_vec();
    record
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Zone {
    pub fn caa(mut self, name: &str, records: Vec<CAA>) -> Zone {
        self.caa.entry(key(name)).or_default().extend(records);
        self
    }
    pub fn address(mut self, name: &str, address: &str) -> Zone {
        self.addresses
            .entry(key(name))
            .or_default()
            .push(address.parse().unwrap());
        self
    }
    pub fn cname(mut self, alias: &str, target: &str) -> Zone {
        self.cname.insert(key(alias), key(target));
        self
    }
    pub fn dname(mut self, owner: &str, target: &str) -> Zone {
        self.dname.insert(key(owner), key(target));
        self
    }
    /// A NAPTR record (RFC 3403) with an empty regexp; `replacement` "." for none.
    pub fn naptr(mut self, name: &str, order: u16, flags: &str, services: &str, replacement: &str) -> Zone {
        let replacement = match replacement {
            "." => Name::root(),
            other => Name::from_ascii(format!("{other}.")).unwrap(),
        };
        let record = NAPTR::new(
            order,
            50,
            flags.as_bytes().into(),
            services.as_bytes().into(),
            Box::new([]),
            replacement,
        );
        self.naptr.entry(key(name)).or_default().push(record);
        self
    }
    /// An SRV record (RFC 2782); `target` "." for "not available".
    pub fn srv(mut self, name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Zone {
        let target = match target {
            "." => Name::root(),
            other => Name::from_ascii(format!("{other}.")).unwrap(),
        };
        self.srv
            .entry(key(name))
            .or_default()
            .push(SRV::new(priority, weight, port, target));
        self
    }
    pub fn servfail(mut self, name: &str) -> Zone {
        self.servfail.insert(key(name));
        self
    }
    /// Asked about this name, the server truncates its UDP answer (TC set, nothing in it) and,
    /// over TCP, announces a 65,535-byte answer and sends it one byte every 20 ms.
    pub fn dripping(mut self, name: &str) -> Zone {
        self.dripping.insert(key(name));
        self
    }
    pub fn silent(mut self, name: &str) -> Zone {
        self.silent.insert(key(name));
        self
    }

    /// The next name in a CNAME chain, real or synthesised from a DNAME above it.
    fn alias_of(&self, name: &str) -> Option<String> {
        if let Some(target) = self.cname.get(name) {
            return Some(target.clone());
        }
        self.dname.iter().find_map(|(owner, target)| {
            name.strip_suffix(&format!(".{owner}"))
                .map(|prefix| format!("{prefix}.{target}"))
        })
    }

    /// How many UDP queries have asked about `name` so far (shared with the running server).
    pub fn queries(&self) -> QueryCounter {
        QueryCounter(self.asked.clone())
    }

    /// Whether the request asks about a name whose answers drip.
    fn drips(&self, request: &Message) -> bool {
        request
            .queries
            .first()
            .is_some_and(|q| self.dripping.contains(&key(&q.name().to_ascii())))
    }

    /// The answer to a request; `None` means stay silent.
    fn answer(&self, request: &Message) -> Option<Message> {
        let query = request.queries.first()?.clone();
        let asked = key(&query.name().to_ascii());
        if self.silent.contains(&asked) {
            return None;
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.authoritative = true;
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.add_query(query.clone());
        if self.servfail.contains(&asked) {
            response.metadata.response_code = ResponseCode::ServFail;
            return Some(response);
        }
        let fqdn = |n: &str| Name::from_ascii(format!("{n}.")).unwrap();
        let mut current = asked;
        for _ in 0..8 {
            let Some(target) = self.alias_of(&current) else { break };
            response.add_answer(Record::from_rdata(
                fqdn(&current),
                60,
                RData::CNAME(CNAME(fqdn(&target))),
            ));
            current = target;
        }
        for address in self.addresses.get(&current).into_iter().flatten() {
            let rdata = match (address, query.query_type()) {
                (std::net::IpAddr::V4(v4), RecordType::A) => RData::A((*v4).into()),
                (std::net::IpAddr::V6(v6), RecordType::AAAA) => RData::AAAA((*v6).into()),
                _ => continue,
            };
            response.add_answer(Record::from_rdata(fqdn(&current), 60, rdata));
        }
        if query.query_type() == RecordType::NAPTR {
            for record in self.naptr.get(&current).into_iter().flatten() {
                response.add_answer(Record::from_rdata(fqdn(&current), 60, RData::NAPTR(record.clone())));
            }
        }
        if query.query_type() == RecordType::SRV {
            for record in self.srv.get(&current).into_iter().flatten() {
                response.add_answer(Record::from_rdata(fqdn(&current), 60, RData::SRV(record.clone())));
            }
        }
        if query.query_type() == RecordType::CAA {
            for record in self.caa.get(&current).into_iter().flatten() {
                response.add_answer(Record::from_rdata(fqdn(&current), 60, RData::CAA(record.clone())));
            }
        }
        Some(response)
    }
}

/// A UDP socket and a TCP listener on the same loopback port, as a DNS server has. The UDP
/// port is chosen by the system; when that port is taken for TCP (another test's connection
/// may use it), another is tried.
fn udp_and_tcp_on_one_port(runtime: &tokio::runtime::Runtime) -> (UdpSocket, TcpListener, SocketAddr) {
    for _ in 0..100 {
        let udp = runtime.block_on(UdpSocket::bind("127.0.0.1:0")).unwrap();
        let address = udp.local_addr().unwrap();
        match runtime.block_on(TcpListener::bind(address)) {
            Ok(tcp) => return (udp, tcp, address),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => panic!("cannot listen on {address}: {e}"),
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

/// Starts the responder; it runs as long as `servers` does.
pub fn start(servers: &Servers, zone: Zone) -> SocketAddr {
    let zone = Arc::new(zone);
    let runtime = servers.runtime();
    let (udp, tcp, address) = udp_and_tcp_on_one_port(runtime);
    let udp_zone = zone.clone();
    runtime.spawn(async move {
        let mut buffer = vec![0u8; 4096];
        while let Ok((n, peer)) = udp.recv_from(&mut buffer).await {
            let Ok(request) = Message::from_vec(&buffer[..n]) else {
                continue;
            };
            if let Some(query) = request.queries.first() {
                *udp_zone
                    .asked
                    .lock()
                    .unwrap()
                    .entry(key(&query.name().to_ascii()))
                    .or_default() += 1;
            }
            let Some(mut response) = udp_zone.answer(&request) else {
                continue;
            };
            let limit = request.edns.as_ref().map_or(512, |e| e.max_payload().max(512)) as usize;
            let mut bytes = response.to_vec().unwrap();
            if bytes.len() > limit || udp_zone.drips(&request) {
                response.answers.clear();
                response.metadata.truncation = true;
                bytes = response.to_vec().unwrap();
            }
            let _ = udp.send_to(&bytes, peer).await;
        }
    });
    runtime.spawn(async move {
        while let Ok((mut stream, _)) = tcp.accept().await {
            let zone = zone.clone();
            tokio::spawn(async move {
                while let Ok(length) = stream.read_u16().await {
                    let mut request = vec![0u8; length as usize];
                    if stream.read_exact(&mut request).await.is_err() {
                        return;
                    }
                    let Ok(request) = Message::from_vec(&request) else {
                        return;
                    };
                    if zone.drips(&request) {
                        if stream.write_all(&[0xff, 0xff]).await.is_err() {
                            return;
                        }
                        while stream.write_all(&[0]).await.is_ok() {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        return;
                    }
                    let Some(response) = zone.answer(&request) else {
                        continue;
                    };
                    let bytes = response.to_vec().unwrap();
                    let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
                    framed.extend(bytes);
                    if stream.write_all(&framed).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// A DNS server that never answers: UDP queries are read and dropped, TCP connections are
/// accepted and held open in silence.
pub fn start_silent(servers: &Servers) -> SocketAddr {
    let runtime = servers.runtime();
    let (udp, tcp, address) = udp_and_tcp_on_one_port(runtime);
    runtime.spawn(async move {
        let mut buffer = vec![0u8; 4096];
        while udp.recv_from(&mut buffer).await.is_ok() {}
    });
    runtime.spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = tcp.accept().await {
            held.push(stream);
        }
    });
    address
}

/// A DNS server that truncates every UDP answer (TC set, nothing in it) and, over TCP, announces
/// a 65,535-byte answer and then sends it one byte every 20 ms.
pub fn start_truncating_then_dripping(servers: &Servers) -> SocketAddr {
    let runtime = servers.runtime();
    let (udp, tcp, address) = udp_and_tcp_on_one_port(runtime);
    runtime.spawn(async move {
        let mut buffer = vec![0u8; 4096];
        while let Ok((n, peer)) = udp.recv_from(&mut buffer).await {
            let Ok(request) = Message::from_vec(&buffer[..n]) else {
                continue;
            };
            let mut response = Message::response(request.metadata.id, request.metadata.op_code);
            response.metadata.truncation = true;
            response.metadata.recursion_available = true;
            for query in &request.queries {
                response.add_query(query.clone());
            }
            let _ = udp.send_to(&response.to_vec().unwrap(), peer).await;
        }
    });
    runtime.spawn(async move {
        while let Ok((mut stream, _)) = tcp.accept().await {
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request).await;
                if stream.write_all(&[0xff, 0xff]).await.is_err() {
                    return;
                }
                while stream.write_all(&[0]).await.is_ok() {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            });
        }
    });
    address
}
