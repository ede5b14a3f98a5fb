//! The shared vocabulary of Support Assistant's services: parse-once newtypes (one set of rules
//! for each), the wire types services exchange, and the RFC 9457 `Problem` body.
//!
//! Depends only on serde, utoipa, chrono and uuid, so every crate may use it without pulling in
//! another service.

pub mod fleet;
