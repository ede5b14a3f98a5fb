//! The App Service: what the weblet on the device panel talks to. It applies the rules
//! (entitlements, permissions), turns what the device says into supplies and meters, hands incidents
//! and meter reads to the Services Manager through a transactional outbox, and confirms them by e-mail.

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod confirmation;
pub mod error;
pub mod issues;
pub mod limits;
pub mod mail;
pub mod notice;
pub use platform::ops;
pub mod problem;
pub mod rules;
pub mod run;
pub mod service;
pub mod store;
pub mod ui;
pub mod worker;
