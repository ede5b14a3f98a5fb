//! Integration tests of the gallery: one binary, modules by area.

mod admin_page;
mod api;
mod device_install;
mod helpers;
mod logo_fetch;
mod openapi;
mod package;
mod scopes;
mod serve_command;
mod storage;
