//! The rules layer: the use cases of the App Service, one module each, shared by the JSON App API
//! (`crate::api`) and the panel pages (`crate::ui`). A use case takes the verified device, what the
//! weblet sent (sealed configuration, idempotency key, body) and answers with a value or a
//! [`RuleError`]; it knows nothing of HTTP. Each module adds its use case to
//! [`Services`](crate::service::Services), which holds what the rules need (outbox, managers,
//! gallery link, keys, clock).
//!
//! - [`startup`]: what the weblet needs to start, and the device report;
//! - [`incidents`]: the device's recent incidents and service incidents;
//! - [`supplies`]: supply incidents;
//! - [`meters`]: meter reads;
//! - [`submission`]: accepting a submission into the outbox (the acknowledgement);
//! - [`contact`]: a contact as the person typed it;
//! - [`demo`]: Demo Mode's sample incidents and DEMO- numbers.

pub mod contact;
pub mod demo;
pub mod incidents;
pub mod meters;
pub mod startup;
pub mod submission;
pub mod supplies;

pub use crate::error::{FieldError, RuleError};
pub use contact::ContactInput;
pub use incidents::ServiceRequest;
pub use meters::{MeterInput, MeterSubmissionInput};
pub use startup::check_tab;
pub use submission::{Accepted, Payload};
pub use supplies::{SupplyPick, SupplyRequestInput};
