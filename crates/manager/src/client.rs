//! The typed HTTP client for the manager's REST API lives in `platform::manager_client`, so the
//! App Service uses it without depending on the manager.

pub use platform::manager_client::*;
