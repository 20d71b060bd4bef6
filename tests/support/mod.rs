//! Shared helpers for the integration tests (each test file uses a subset).
#![allow(dead_code, unused_imports)]

pub mod gateway;

pub use gateway::*;
