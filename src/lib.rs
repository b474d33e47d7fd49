//! certscan: TLS certificate diagnostics for endpoints and files.
//!
//! Data flows one way: [`target`] parses what to scan (with [`profile`]s and the [`configs`] of
//! nginx, certbot, Wazo and Kazoo adding targets), [`probe`] records what endpoints, files and DNS
//! hold ([`evidence`]), [`analysis`] judges it into [`finding`]s, and [`report`] renders the run.
//! [`cli`] turns flags into a plan and [`scan`] runs it. The [`catalog`] of checks is embedded
//! from `checks/`.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod catalog;
pub mod cli;
pub mod configs;
pub mod evidence;
pub mod finding;
pub mod limits;
pub mod probe;
pub mod profile;
pub mod report;
pub mod scan;
pub mod status;
pub mod target;
