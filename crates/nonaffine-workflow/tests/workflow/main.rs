//! Integration tests of the workflow runner, driven by dummy stages.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod broken;
mod checks;
mod common;
mod diff;
mod integrity;
mod plugins;
mod resume;
mod run;
