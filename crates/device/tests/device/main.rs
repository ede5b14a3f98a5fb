//! The device crate's integration tests: one binary, one module per area.

mod app_settings;
mod apps;
mod helpers;
mod panel;
mod serve_cli;
mod session;
mod soap;
