//! Reading cookies from a request's `Cookie` headers, with the `cookie` crate (RFC 6265 parsing)
//! rather than a hand-written splitter.

use axum::http::{HeaderMap, header};

/// The value of the first cookie named `name`, over every `Cookie` header.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn finds_a_cookie_among_several_headers_and_pairs() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("sid=abc=def;c=3"));
        assert_eq!(get(&h, "b").as_deref(), Some("2"));
        assert_eq!(get(&h, "sid").as_deref(), Some("abc=def"));
        assert_eq!(get(&h, "c").as_deref(), Some("3"));
        assert_eq!(get(&h, "missing"), None);
        assert_eq!(get(&HeaderMap::new(), "a"), None);
    }
}
