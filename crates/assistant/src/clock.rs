//! Time is passed in, so tests can fix it. The assistant uses the Services Manager's clock types
//! (it depends on that crate for its client and domain types already).

pub use platform::clock::{Clock, FixedClock, SystemClock};
