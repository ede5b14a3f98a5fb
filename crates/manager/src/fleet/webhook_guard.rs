//! Where a webhook may send (SSRF protection, issue 13): a partner must not make the manager
//! call into its own network. Refused: other schemes than http(s); loopback (127/8, ::1),
//! private (RFC 1918 10/8, 172.16/12, 192.168/16; RFC 4193 fc00::/7), shared address space
//! (RFC 6598 100.64/10), link-local (RFC 3927 169.254/16; RFC 4291 fe80::/10), multicast
//! (224/4, ff00::/8), unspecified and "this network" (0/8, ::), broadcast, the other RFC 6890
//! special-purpose ranges; an IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is
//! judged by its IPv4 address. The rule is `platform::net::not_public`, shared with the gallery.
//!
//! Checked twice: at registration ([`check_target`]: the literal address or the addresses the
//! name resolves to, a clear 422) and at every delivery, after DNS resolution: the sender's HTTP
//! client resolves names through [`GuardedResolver`], which refuses a name if any of its
//! addresses is forbidden, and the client connects to exactly the addresses it returned (so a
//! name that changes its answer after registration, DNS rebinding, is caught). Redirects are
//! not followed and no proxy is used, so the checked address is the one connected to.
//! `serve manager --webhook-allow-private` turns the address rules off (tests, the demo, a
//! receiver on the manager's own network); the scheme rule stays.

use platform::i18n::{Args, Locale, t, t_args};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Why an address may not be called: `platform::net`'s one rule (shared with the gallery's logo
/// fetch). The API's problem details are English ([`en`]); the console shows [`message`] in the
/// page's language (`console.ftl`).
pub use platform::net::Reason;

/// The English phrase of the API's problem details ("a loopback address").
pub fn en(reason: Reason) -> &'static str {
    match reason {
        Reason::Unspecified => "an unspecified address",
        Reason::Loopback => "a loopback address",
        Reason::PrivateV4 => "a private address (RFC 1918)",
        Reason::PrivateV6 => "a private address (fc00::/7)",
        Reason::Shared => "a shared address (RFC 6598)",
        Reason::LinkLocal => "a link-local address",
        Reason::Multicast => "a multicast address",
        Reason::Broadcast => "the broadcast address",
        Reason::Reserved => "a reserved address (RFC 6890)",
    }
}

/// The same phrase in `l` (`console-guard-*` in console.ftl).
pub fn message(reason: Reason, l: Locale) -> String {
    let key = match reason {
        Reason::Unspecified => "console-guard-unspecified",
        Reason::Loopback => "console-guard-loopback",
        Reason::PrivateV4 => "console-guard-private-v4",
        Reason::PrivateV6 => "console-guard-private-v6",
        Reason::Shared => "console-guard-shared",
        Reason::LinkLocal => "console-guard-link-local",
        Reason::Multicast => "console-guard-multicast",
        Reason::Broadcast => "console-guard-broadcast",
        Reason::Reserved => "console-guard-reserved",
    };
    t(l, key)
}

/// Why a webhook URL is refused at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not http(s), or no host.
    NotHttpUrl,
    /// The URL's address literal is forbidden.
    PointsTo(Reason),
    /// The URL's name resolves to a forbidden address.
    Resolves { host: String, reason: Reason },
}

impl std::fmt::Display for Refusal {
    /// The English detail of the API's 422.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NotHttpUrl => f.write_str("must be an http:// or https:// URL with a host"),
            Refusal::PointsTo(why) => write!(f, "must not point to {}", en(*why)),
            Refusal::Resolves { host, reason } => {
                write!(f, "{host} resolves to {}", en(*reason))
            }
        }
    }
}

impl Refusal {
    /// The refusal in `l`, for the console.
    pub fn message(&self, l: Locale) -> String {
        match self {
            Refusal::NotHttpUrl => t(l, "console-guard-not-http"),
            Refusal::PointsTo(why) => t_args(
                l,
                "console-guard-points-to",
                &Args::new().text("why", message(*why, l)),
            ),
            Refusal::Resolves { host, reason } => t_args(
                l,
                "console-guard-resolves",
                &Args::new()
                    .text("host", host.as_str())
                    .text("why", message(*reason, l)),
            ),
        }
    }
}

/// Why an address may not be called, or `None` when it may.
pub fn forbidden(ip: IpAddr) -> Option<Reason> {
    platform::net::not_public(ip)
}

/// The scheme and host of a webhook URL: http(s) with a host, else why not.
pub fn check_url(url: &str) -> Result<reqwest::Url, Refusal> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(Refusal::NotHttpUrl),
    }
}

/// The address literal of a URL's host, if it is one.
fn literal(url: &reqwest::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Checks the addresses of `url` (its literal, or what its name resolves to within 5 s).
/// A name that does not resolve now is let through: delivery checks again.
pub async fn check_target(url: &str, allow_private: bool) -> Result<(), Refusal> {
    let u = check_url(url)?;
    if allow_private {
        return Ok(());
    }
    if let Some(ip) = literal(&u) {
        return match forbidden(ip) {
            Some(why) => Err(Refusal::PointsTo(why)),
            None => Ok(()),
        };
    }
    let host = u.host_str().unwrap_or_default().to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let lookup = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await;
    if let Ok(Ok(addrs)) = lookup {
        for a in addrs {
            if let Some(why) = forbidden(a.ip()) {
                return Err(Refusal::Resolves {
                    host: host.clone(),
                    reason: why,
                });
            }
        }
    }
    Ok(())
}

/// Checks a delivery's URL before the request: the scheme, and an address literal (the client
/// does not resolve those, so the resolver cannot see them).
pub fn check_delivery(url: &str, allow_private: bool) -> Result<(), String> {
    let u = check_url(url).map_err(|r| r.to_string())?;
    if allow_private {
        return Ok(());
    }
    match literal(&u).and_then(forbidden) {
        Some(why) => Err(format!("refused: the URL points to {}", en(why))),
        None => Ok(()),
    }
}

/// The DNS resolver of the webhook client: resolves with the system resolver and refuses a name
/// with any forbidden address, so the client only ever connects to checked addresses.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(why) = addrs
                .iter()
                .find_map(|a| forbidden(a.ip()))
                .filter(|_| !allow_private)
            {
                return Err(format!("refused: {host} resolves to {}", en(why)).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_forbidden_and_public_ones_allowed() {
        for bad in [
            "127.0.0.1",
            "127.5.5.5",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(forbidden(ip(bad)).is_some(), "{bad} must be refused");
        }
        for good in [
            "93.184.215.14",
            "172.32.0.1",
            "100.128.0.1",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(forbidden(ip(good)), None, "{good} must be allowed");
        }
    }

    #[tokio::test]
    async fn registration_refuses_internal_literals_names_and_other_schemes() {
        for url in [
            "http://127.0.0.1:9/hook",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5/",
            "http://[fe80::1]/",
            "http://localhost:8080/x",
        ] {
            assert!(check_target(url, false).await.is_err(), "{url}");
            assert!(check_target(url, true).await.is_ok(), "{url} allowed");
        }
        for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://x/"] {
            assert!(check_target(url, true).await.is_err(), "{url}");
        }
        assert!(
            check_target("https://93.184.215.14/hook", false)
                .await
                .is_ok()
        );
    }
}
