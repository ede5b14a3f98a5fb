//! The App Service: what the weblet on the device panel talks to.

pub mod mail;
pub mod ops;
