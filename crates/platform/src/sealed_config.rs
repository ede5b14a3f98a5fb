//! The sealed app configuration a device carries, bound to that device (`proto::ConfigBinding`).
//!
//! ```text
//! "b1." base64url(JSON {"serial","tenant","version"}) "." keyring blob
//! ```
//!
//! The keyring blob ([`crate::keyring`]) seals the configuration's JSON with the binding's
//! associated data (`"sa-app-config\n<serial>\n<tenant>\n<version>"`, after the keyring's own
//! header), so the binding in front is readable without the key but cannot be altered: a changed
//! serial, tenant or version makes the blob fail to open. A blob without the `b1.` prefix is an
//! unbound one sealed before binding existed; it opens with no binding (the assistant counts it
//! as version 0, older than any configuration the gallery now holds).

use crate::b64;
use crate::keyring::{Keyring, SealError};
use proto::config::{AppConfiguration, ConfigBinding};

const BOUND_PREFIX: &str = "b1.";

/// A configuration opened from its blob, with what it is bound to (`None`: an unbound blob).
#[derive(Debug, Clone)]
pub struct Opened {
    pub binding: Option<ConfigBinding>,
    pub config: AppConfiguration,
}

/// Seals `config` for the device, tenant and version of `binding`.
pub fn seal(
    keyring: &Keyring,
    binding: &ConfigBinding,
    config: &AppConfiguration,
) -> Result<String, SealError> {
    let json = serde_json::to_vec(config).map_err(|e| SealError::Encode(e.to_string()))?;
    let head = serde_json::to_vec(binding).map_err(|e| SealError::Encode(e.to_string()))?;
    let blob = keyring.seal_bytes_for(&json, binding.associated_data().as_bytes())?;
    Ok(format!("{BOUND_PREFIX}{}.{blob}", b64::url_encode(&head)))
}

/// What a blob says it is bound to, without opening it (not authenticated: only [`open`]
/// proves it). `None` for an unbound blob or one that is not ours.
pub fn binding_of(blob: &str) -> Option<ConfigBinding> {
    let rest = blob.trim().strip_prefix(BOUND_PREFIX)?;
    let (head, _) = rest.split_once('.')?;
    serde_json::from_slice(&b64::url_decode(head).ok()?).ok()
}

/// The key id that sealed the blob (either form).
pub fn key_id_of(blob: &str) -> Option<String> {
    let blob = blob.trim();
    match blob.strip_prefix(BOUND_PREFIX) {
        Some(rest) => Keyring::key_id_of(rest.split_once('.')?.1),
        None => Keyring::key_id_of(blob),
    }
}

/// Opens a bound blob (its binding authenticated as associated data) or an unbound one.
pub fn open(keyring: &Keyring, blob: &str) -> Result<Opened, SealError> {
    let blob = blob.trim();
    let Some(rest) = blob.strip_prefix(BOUND_PREFIX) else {
        return Ok(Opened {
            binding: None,
            config: keyring.unseal(blob)?,
        });
    };
    let (head, sealed) = rest.split_once('.').ok_or(SealError::NotBase64)?;
    let binding: ConfigBinding = b64::url_decode(head)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| SealError::BadContent("the configuration's binding is unreadable".into()))?;
    let json = keyring.unseal_bytes_for(sealed, binding.associated_data().as_bytes())?;
    let config = serde_json::from_slice(&json).map_err(|e| SealError::BadContent(e.to_string()))?;
    Ok(Opened {
        binding: Some(binding),
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{DeviceSerial, PartnerId};

    fn binding(serial: &str, version: u64) -> ConfigBinding {
        ConfigBinding {
            serial: DeviceSerial::parse(serial).expect("serial"),
            tenant: PartnerId::parse("acme").expect("tenant"),
            version,
        }
    }

    #[test]
    fn a_bound_blob_opens_with_its_binding_and_an_unbound_one_without() {
        let ring = Keyring::single("cfg1", [3; 32]).expect("ring");
        let config = AppConfiguration::default();
        let blob = seal(&ring, &binding("DEV1", 7), &config).expect("seal");
        assert_eq!(binding_of(&blob), Some(binding("DEV1", 7)));
        assert_eq!(key_id_of(&blob).as_deref(), Some("cfg1"));
        let opened = open(&ring, &blob).expect("open");
        assert_eq!(opened.binding, Some(binding("DEV1", 7)));
        assert_eq!(opened.config, config);

        let unbound = ring.seal(&config).expect("seal");
        assert_eq!(binding_of(&unbound), None);
        let opened = open(&ring, &unbound).expect("open");
        assert_eq!(opened.binding, None);
    }

    #[test]
    fn a_changed_binding_does_not_open() {
        let ring = Keyring::single("cfg1", [3; 32]).expect("ring");
        let blob = seal(&ring, &binding("DEV1", 2), &AppConfiguration::default()).expect("seal");
        let sealed = blob.rsplit_once('.').expect("dot").1;
        for forged in [binding("DEV2", 2), binding("DEV1", 3)] {
            let head = b64::url_encode(&serde_json::to_vec(&forged).expect("json"));
            let forged_blob = format!("{BOUND_PREFIX}{head}.{sealed}");
            assert!(
                matches!(open(&ring, &forged_blob), Err(SealError::Tampered(_))),
                "{forged:?} must not open"
            );
        }
    }
}
