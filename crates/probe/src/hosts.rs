//! The hosts file (/etc/hosts or `--hosts-file`), read directly: comments, aliases, IPv6 lines
//! and duplicate entries, as the C library's `files` source reads it.

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;

/// Name (lower-case, no trailing dot) to addresses with the line that gives each (from 1), in
/// file order, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostsFile {
    entries: HashMap<String, Vec<(IpAddr, usize)>>,
}

impl HostsFile {
    pub fn parse(text: &str) -> HostsFile {
        let mut entries: HashMap<String, Vec<(IpAddr, usize)>> = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            let mut fields = line.split_whitespace();
            let Some(address) = fields.next() else { continue };
            // A zone index (fe80::1%eth0) does not change which address it is for our purposes.
            let Ok(address) = address.split('%').next().unwrap_or(address).parse::<IpAddr>() else {
                continue;
            };
            for name in fields {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let addresses = entries.entry(name).or_default();
                if !addresses.iter().any(|(a, _)| *a == address) {
                    addresses.push((address, number + 1));
                }
            }
        }
        HostsFile { entries }
    }

    /// Reads and parses a hosts file, bounded to 4 MiB.
    pub fn read(path: &Path) -> Result<HostsFile, String> {
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(4 * 1024 * 1024).read_to_string(&mut text))
            .map_err(|e| format!("cannot read the hosts file {}: {e}", path.display()))?;
        Ok(HostsFile::parse(&text))
    }

    /// The addresses the file gives a name (empty when it does not list it).
    pub fn lookup(&self, name: &str) -> Vec<IpAddr> {
        self.lookup_lines(name)
            .into_iter()
            .map(|(address, _)| address)
            .collect()
    }

    /// The addresses the file gives a name, each with the line that gives it (from 1).
    pub(crate) fn lookup_lines(&self, name: &str) -> Vec<(IpAddr, usize)> {
        self.entries
            .get(&name.trim_end_matches('.').to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn parses_like_the_c_library() {
        let text = "\
# static table
127.0.0.1\tlocalhost
127.0.1.1   wazo.example.com wazo   # Debian's default line
::1         localhost ip6-localhost
192.0.2.10  API.Example.com. api
192.0.2.10  api.example.com
192.0.2.11  api.example.com
fe80::1%eth0 linklocal
not-an-ip   ignored.example.com
   # indented comment
";
        let hosts = HostsFile::parse(text);
        for (name, expected) in [
            ("localhost", ips(&["127.0.0.1", "::1"])),
            ("wazo.example.com", ips(&["127.0.1.1"])),
            ("WAZO", ips(&["127.0.1.1"])),
            ("api.example.com", ips(&["192.0.2.10", "192.0.2.11"])),
            ("api.example.com.", ips(&["192.0.2.10", "192.0.2.11"])),
            ("api", ips(&["192.0.2.10"])),
            ("linklocal", ips(&["fe80::1"])),
            ("ignored.example.com", vec![]),
            ("static", vec![]),
        ] {
            assert_eq!(hosts.lookup(name), expected, "{name}");
        }
    }
}
