//! Certificates parsed in a run. A fleet's endpoints serve the same intermediate, and often the
//! same certificate (the ports of one host, one wildcard behind many names): a certificate met a
//! second time is kept parsed, and every later meeting reads it from here instead of parsing it
//! again. A certificate is known by the SHA-256 of its DER and the evaluation time its days are
//! counted from; one met once is remembered only by that digest, so a run of distinct leaves
//! keeps none of them.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use super::certificate::CertInfo;

/// Digests of certificates met once, remembered at most (a table of about 1.3 MiB); past it,
/// that memory starts again.
const MET_ONCE_AT_MOST: usize = 16_384;
/// Certificates kept parsed at most, and the most DER bytes they may hold; past either, the
/// kept ones are let go and keeping starts again.
const KEPT_AT_MOST: usize = 1_024;
const KEPT_BYTES_AT_MOST: usize = 16 * 1024 * 1024;

/// A certificate as met: the SHA-256 of its DER, and the evaluation time.
type Key = ([u8; 32], i64);

/// The certificates parsed so far, shared by every analysis of a run.
#[derive(Clone)]
pub struct ParsedCertificates {
    table: Arc<Mutex<Table>>,
    limits: Limits,
}

#[derive(Clone, Copy)]
struct Limits {
    met_once: usize,
    kept: usize,
    kept_bytes: usize,
}

#[derive(Default)]
struct Table {
    met_once: HashSet<Key>,
    kept: HashMap<Key, Arc<CertInfo>>,
    kept_bytes: usize,
}

impl Default for ParsedCertificates {
    fn default() -> ParsedCertificates {
        ParsedCertificates::with_limits(Limits {
            met_once: MET_ONCE_AT_MOST,
            kept: KEPT_AT_MOST,
            kept_bytes: KEPT_BYTES_AT_MOST,
        })
    }
}

impl fmt::Debug for ParsedCertificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.lock();
        write!(
            f,
            "ParsedCertificates({} kept, {} met once)",
            table.kept.len(),
            table.met_once.len()
        )
    }
}

impl ParsedCertificates {
    fn with_limits(limits: Limits) -> ParsedCertificates {
        ParsedCertificates {
            table: Arc::default(),
            limits,
        }
    }

    /// The certificate `der` as [`CertInfo::from_der`] parses it for `at_unix`.
    pub fn parse(&self, der: &[u8], at_unix: i64) -> Arc<CertInfo> {
        let mut digest = [0u8; 32];
        digest.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, der).as_ref());
        let key = (digest, at_unix);
        let met_before = {
            let mut table = self.lock();
            if let Some(info) = table.kept.get(&key) {
                return info.clone();
            }
            if table.met_once.len() >= self.limits.met_once {
                table.met_once.clear();
            }
            !table.met_once.insert(key)
        };
        let info = Arc::new(CertInfo::from_der_with_digest(der, &digest, at_unix));
        if met_before {
            self.keep(key, &info);
        }
        info
    }

    fn keep(&self, key: Key, info: &Arc<CertInfo>) {
        let bytes = info.der.len();
        if bytes > self.limits.kept_bytes {
            return;
        }
        let mut table = self.lock();
        if table.kept.len() >= self.limits.kept || table.kept_bytes + bytes > self.limits.kept_bytes {
            table.kept.clear();
            table.kept_bytes = 0;
        }
        if table.kept.insert(key, info.clone()).is_none() {
            table.kept_bytes += bytes;
        }
        table.met_once.remove(&key);
    }

    /// How many certificates are kept parsed.
    #[cfg(test)]
    fn kept(&self) -> usize {
        self.lock().kept.len()
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(name: &str) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    /// Every field alike.
    fn same_info(a: &CertInfo, b: &CertInfo) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn a_certificate_met_twice_is_kept_and_read_back_the_same() {
        let parsed = ParsedCertificates::default();
        let der = certificate("kept.example");
        let first = parsed.parse(&der, 1_800_000_000);
        assert_eq!(parsed.kept(), 0, "met once: not kept");
        let second = parsed.parse(&der, 1_800_000_000);
        assert_eq!(parsed.kept(), 1);
        let third = parsed.parse(&der, 1_800_000_000);
        assert!(Arc::ptr_eq(&second, &third), "the third meeting reads the kept one");
        let fresh = CertInfo::from_der(&der, 1_800_000_000);
        for info in [&first, &second, &third] {
            assert!(same_info(info, &fresh));
        }
    }

    #[test]
    fn another_evaluation_time_is_another_certificate() {
        let parsed = ParsedCertificates::default();
        let der = certificate("time.example");
        parsed.parse(&der, 1_800_000_000);
        let now = parsed.parse(&der, 1_800_000_000);
        let later = parsed.parse(&der, 1_800_000_000 + 10 * 86_400);
        assert_eq!(later.days_left, now.days_left - 10);
        assert!(same_info(
            &later,
            &CertInfo::from_der(&der, 1_800_000_000 + 10 * 86_400)
        ));
    }

    #[test]
    fn distinct_certificates_are_not_kept_and_garbage_stays_garbage() {
        let parsed = ParsedCertificates::default();
        for name in ["a.example", "b.example", "c.example"] {
            parsed.parse(&certificate(name), 0);
        }
        assert_eq!(parsed.kept(), 0);
        let garbage = b"\x30\x03\x02\x01\x05";
        parsed.parse(garbage, 0);
        let again = parsed.parse(garbage, 0);
        assert!(!again.parsed());
        assert_eq!(again.der, garbage);
    }

    #[test]
    fn the_kept_certificates_are_bounded() {
        let parsed = ParsedCertificates::with_limits(Limits {
            met_once: 2,
            kept: 2,
            kept_bytes: usize::MAX,
        });
        let ders: Vec<Vec<u8>> = ["a.example", "b.example", "c.example"]
            .iter()
            .map(|name| certificate(name))
            .collect();
        for der in &ders {
            parsed.parse(der, 0);
            parsed.parse(der, 0);
        }
        assert_eq!(parsed.kept(), 1, "the third kept one started the memory again");
        assert!(parsed.lock().met_once.len() <= 2);
        let room_for_one = ders[1].len();
        let small = ParsedCertificates::with_limits(Limits {
            met_once: 8,
            kept: 8,
            kept_bytes: room_for_one,
        });
        small.parse(&ders[1], 0);
        let kept = small.parse(&ders[1], 0);
        assert_eq!(small.kept(), 1);
        let larger = certificate("a-much-longer-name-than-the-others.example");
        assert!(larger.len() > room_for_one);
        small.parse(&larger, 0);
        small.parse(&larger, 0);
        assert_eq!(small.kept(), 1, "larger than the byte bound: not kept");
        assert!(Arc::ptr_eq(&kept, &small.parse(&ders[1], 0)), "and the kept one stays");
    }
}
