//! certscan: TLS certificate diagnostics for endpoints and files.
//!
//! Data flows one way: [`target`] parses what to scan, [`probe`] records what endpoints and files
//! hold ([`evidence`]), [`analysis`] judges it into [`finding`]s, and [`report`] renders the run;
//! [`cli`] wires them together. The [`catalog`] of checks is embedded from `checks/`.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod catalog;
pub mod cli;
pub mod configs;
pub mod evidence;
pub mod finding;
pub mod probe;
pub mod profile;
pub mod report;
pub mod status;
pub mod target;
