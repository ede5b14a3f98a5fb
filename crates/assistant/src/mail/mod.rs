//! Confirmation e-mail.
