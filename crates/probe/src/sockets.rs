//! This machine's listening TCP sockets, read from the kernel's tables (`/proc/net/tcp` and
//! `/proc/net/tcp6`, under a configuration root for tests and copied trees).

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// The most read from one table.
const MAX_TABLE_BYTES: u64 = 8 * 1024 * 1024;

/// The kernel's state number for LISTEN.
const LISTEN: &str = "0A";

/// Every listening socket in the tables under `root` (`/` for this machine).
pub(crate) fn listening(root: &Path) -> Result<Vec<SocketAddr>, String> {
    let mut found = Vec::new();
    let mut read_any = false;
    for table in ["proc/net/tcp", "proc/net/tcp6"] {
        let path = root.join(table);
        let mut text = String::new();
        let Ok(file) = std::fs::File::open(&path) else { continue };
        file.take(MAX_TABLE_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        read_any = true;
        found.extend(parse_table(&text));
    }
    if !read_any {
        return Err(format!("no TCP socket table under {}", root.join("proc/net").display()));
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// The listening sockets of one table's text.
pub(crate) fn parse_table(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (local, state) = (fields.get(1)?, fields.get(3)?);
            if *state != LISTEN {
                return None;
            }
            let (address, port) = local.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            Some(SocketAddr::new(kernel_address(address)?, port))
        })
        .collect()
}

/// An address as the kernel prints it: 32-bit words in hex, each in host (little-endian) order.
fn kernel_address(hex: &str) -> Option<IpAddr> {
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).map(u32::swap_bytes))
        .collect::<Result<_, _>>()
        .ok()?;
    match words.as_slice() {
        [v4] => Some(IpAddr::V4(Ipv4Addr::from(*v4))),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (i, word) in [a, b, c, d].iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_tables_give_listening_addresses() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:2511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n   1: 00000000:2511 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n   2: 0100007F:E3C2 0100007F:2511 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1\n";
        assert_eq!(
            parse_table(v4),
            ["127.0.0.1:9489".parse().unwrap(), "0.0.0.0:9489".parse().unwrap()]
        );
        let v6 = "  sl  local_address                         remote_address                        st\n   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A\n   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A\n";
        assert_eq!(
            parse_table(v6),
            ["[::1]:443".parse().unwrap(), "[::]:80".parse().unwrap()]
        );
    }
}
