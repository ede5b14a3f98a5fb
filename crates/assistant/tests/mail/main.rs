//! Confirmation e-mail: rendering, and every transport against a real peer on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod folder;
mod helpers;
mod logs;
mod render;
mod sendgrid;
mod settings;
mod smtp;
