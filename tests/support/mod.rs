//! Shared helpers for the integration tests (each test file uses a subset).
#![allow(dead_code, unused_imports)]

pub mod api;
pub mod binary;
pub mod fake_legacy;
pub mod gateway;
pub mod guide;
pub mod logs;
pub mod receiver;
pub mod redis;

pub use gateway::*;
