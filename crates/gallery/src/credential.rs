//! Device credentials (Ed25519-signed tokens): issuing, publishing and verifying live in
//! `platform::credential`, so the assistant verifies offline without depending on the gallery.

pub use platform::credential::*;
