//! A small "app" written the way a lettre 0.11 user writes it: only `lettre::...`
//! paths, no knowledge of letterhead. The tests in `tests/` drive it.
//!
//! Switching this crate from lettre to letterhead is the single renamed
//! dependency line in `Cargo.toml`; if anything here stops compiling or a test
//! starts failing after that switch, letterhead is not a drop-in replacement.

pub mod deliver;
pub mod emails;
pub mod fake_smtp;
pub mod mailer;
pub mod mock;
pub mod scratch;
