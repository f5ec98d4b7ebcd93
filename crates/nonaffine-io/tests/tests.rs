//! Integration tests of nonaffine-io, one binary with a module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod elements;
mod formats;
mod malformed;
mod reference;
mod robustness;
mod roundtrip;
mod snapshot;
