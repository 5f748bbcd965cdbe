//! Duration strings as Terraform's `time` provider writes them. aic has one duration type
//! with one grammar, Go's `time.ParseDuration` syntax with days added
//! ([`aic_lang::duration`]); this module names it as this crate has always used it.

pub use aic_lang::duration::{Duration as GoDuration, ParseDurationError};
