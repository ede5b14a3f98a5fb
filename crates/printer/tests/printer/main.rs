//! interpret() on the project's own fixtures and on the real recordings of ../shared/printers.

mod client;
mod contract;
mod fixtures;

use std::path::PathBuf;

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn shared_printers() -> PathBuf {
    project_root().join("../shared/printers")
}
