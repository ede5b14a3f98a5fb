//! Sealing the app configuration a device carries: the one keyring of `platform::keyring`
//! (AES-256-GCM; blob format, key spec and rotation rule documented there). The gallery and the
//! assistant hold the same keys; the first key of the spec seals, all keys open.

pub use platform::keyring::{
    BLOB_VERSION, Key as SealingKey, Keyring as SealingKeyring, KeyringError, SealError,
};
