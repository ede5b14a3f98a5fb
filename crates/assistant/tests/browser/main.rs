//! The weblet in headless Chromium (Debian's chromium and chromium-driver, driven with fantoccini)
//! on an emulated device, talking to a real assistant, Services Manager and App Gallery on
//! loopback. Each test saves a screenshot of every screen under `target/screenshots/` (or
//! `$SA_SCREENSHOTS_DIR`, e.g. `screenshots` to refresh the README pictures).

#[path = "../app/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod eip;
mod harness;
mod languages;
mod mail;
mod package;
mod panel;
mod vendor;
mod workflows;
