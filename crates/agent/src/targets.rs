//! What to sweep: single hosts (`HOST`, `HOST:PORT`) and IPv4 CIDR ranges (`10.0.0.0/24`).

use std::net::{Ipv4Addr, SocketAddr};

/// At most this many addresses in one sweep (a /16).
pub const MAX_ADDRESSES: usize = 65_536;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// "HOST[:PORT]" as given (resolved when read).
    Host(String),
    Range {
        network: Ipv4Addr,
        prefix: u8,
    },
}

pub fn parse(s: &str) -> Result<Target, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an empty target".into());
    }
    if let Some((ip, prefix)) = s.split_once('/') {
        let network: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("{s:?}: {ip:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to 32"))?;
        if prefix < 16 {
            return Err(format!(
                "{s:?}: ranges larger than a /16 ({MAX_ADDRESSES} addresses) are refused"
            ));
        }
        return Ok(Target::Range { network, prefix });
    }
    Ok(Target::Host(s.to_string()))
}

/// Every address to try, "HOST:PORT" (port `port` unless the target names one). In a range shorter
/// than /31 the network and broadcast addresses are left out.
pub fn expand(targets: &[Target], port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for t in targets {
        match t {
            Target::Host(h) => {
                if h.parse::<SocketAddr>().is_ok()
                    || h.rsplit_once(':')
                        .is_some_and(|(a, p)| !a.contains(':') && p.parse::<u16>().is_ok())
                {
                    out.push(h.clone());
                } else {
                    out.push(format!("{h}:{port}"));
                }
            }
            Target::Range { network, prefix } => {
                let size = 1u64 << (32 - u32::from(*prefix));
                let base = u32::from(*network)
                    & (u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0));
                let (first, last) = if *prefix >= 31 {
                    (0, size)
                } else {
                    (1, size - 1)
                };
                for i in first..last {
                    let ip = Ipv4Addr::from(base.wrapping_add(u32::try_from(i).unwrap_or(0)));
                    out.push(format!("{ip}:{port}"));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out.truncate(MAX_ADDRESSES);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ranges_skip_network_and_broadcast_hosts_keep_their_port() {
        let t = [
            parse("127.0.10.0/30").unwrap(),
            parse("printer.local").unwrap(),
            parse("127.0.0.1:1161").unwrap(),
        ];
        assert_eq!(
            expand(&t, 161),
            [
                "127.0.0.1:1161",
                "127.0.10.1:161",
                "127.0.10.2:161",
                "printer.local:161"
            ]
        );
        assert_eq!(
            expand(&[parse("10.0.0.7/32").unwrap()], 161),
            ["10.0.0.7:161"]
        );
        assert!(parse("10.0.0.0/8").is_err());
        assert!(parse("10.0.0.0/33").is_err());
        assert!(parse("nonsense/24").is_err());
    }
}
