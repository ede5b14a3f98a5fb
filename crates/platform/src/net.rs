//! Which addresses a service may call on a partner's behalf (SSRF protection): one rule for the
//! manager's webhooks and the gallery's logo fetch. Not public: unspecified and "this network"
//! (0/8, ::), loopback (127/8, ::1), private (RFC 1918; RFC 4193 fc00::/7), shared address space
//! (RFC 6598 100.64/10), link-local (RFC 3927 169.254/16; RFC 4291 fe80::/10), multicast
//! (224/4, ff00::/8), broadcast, and the other RFC 6890 special-purpose ranges (documentation,
//! benchmarking, IETF protocol assignments, 240/4, NAT64 64:ff9b::/96, discard-only 100::/64).
//! An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is judged by its IPv4 address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Unspecified,
    Loopback,
    /// RFC 1918.
    PrivateV4,
    /// fc00::/7 (RFC 4193).
    PrivateV6,
    /// RFC 6598.
    Shared,
    LinkLocal,
    Multicast,
    Broadcast,
    /// Another RFC 6890 special-purpose range (documentation, benchmarking, 240/4, NAT64, …).
    Reserved,
}

/// Why `ip` may not be called, or `None` when it is a public address.
pub fn not_public(ip: IpAddr) -> Option<Reason> {
    match ip {
        IpAddr::V4(v4) => not_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => not_public_v4(v4),
            None => not_public_v6(v6),
        },
    }
}

fn not_public_v4(ip: Ipv4Addr) -> Option<Reason> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Some(Reason::Unspecified)
    } else if ip.is_loopback() {
        Some(Reason::Loopback)
    } else if ip.is_private() {
        Some(Reason::PrivateV4)
    } else if a == 100 && (64..128).contains(&b) {
        Some(Reason::Shared)
    } else if ip.is_link_local() {
        Some(Reason::LinkLocal)
    } else if ip.is_multicast() {
        Some(Reason::Multicast)
    } else if ip.is_broadcast() {
        Some(Reason::Broadcast)
    } else if ip.is_documentation()
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240
    {
        Some(Reason::Reserved)
    } else {
        None
    }
}

fn not_public_v6(ip: Ipv6Addr) -> Option<Reason> {
    let s = ip.segments();
    if ip.is_unspecified() {
        Some(Reason::Unspecified)
    } else if ip.is_loopback() {
        Some(Reason::Loopback)
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some(Reason::PrivateV6)
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some(Reason::LinkLocal)
    } else if ip.is_multicast() {
        Some(Reason::Multicast)
    } else if (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x64 && s[1] == 0xff9b)
        || s[0] == 0x0100
    {
        Some(Reason::Reserved)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_and_reserved_addresses_are_not_public() {
        for (ip, why) in [
            ("127.0.0.1", Reason::Loopback),
            ("10.1.2.3", Reason::PrivateV4),
            ("100.64.0.1", Reason::Shared),
            ("169.254.169.254", Reason::LinkLocal),
            ("0.0.0.0", Reason::Unspecified),
            ("255.255.255.255", Reason::Broadcast),
            ("192.0.2.1", Reason::Reserved),
            ("::ffff:127.0.0.1", Reason::Loopback),
            ("fd00::1", Reason::PrivateV6),
            ("fe80::1", Reason::LinkLocal),
            ("2001:db8::1", Reason::Reserved),
        ] {
            assert_eq!(not_public(ip.parse().unwrap()), Some(why), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert_eq!(not_public(ip.parse().unwrap()), None, "{ip}");
        }
    }
}
