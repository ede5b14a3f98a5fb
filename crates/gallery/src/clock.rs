//! Time and ids are passed in, so tests can fix them: the one clock of `platform::clock`.

pub use platform::clock::{
    Clock, FixedClock, IdSource, SequentialIds, SystemClock, UuidV7, UuidV7 as RandomIds,
};
