//! Shared helpers of the integration tests (not every test file uses all).
#![allow(dead_code)]

pub mod api;
pub mod receiver;
