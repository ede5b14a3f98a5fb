//! The two base64 flavours used on the wire (shared: `platform::b64`).

pub use platform::b64::*;
