//! certscan: TLS certificate diagnostics for endpoints and files.
//!
//! The layers are crates of one workspace, each depending only on those below it:
//! `certscan-model` (targets, evidence, findings, the check catalog), `certscan-x509`
//! (certificates, trust, OCSP), `certscan-probe` (network and file I/O: records what it saw),
//! `certscan-platforms` (nginx, certbot, Wazo and Kazoo configurations and the platform profiles),
//! `certscan-checks` (pure: evidence to findings) and `certscan-report` (every output format).
//! This crate is the command: [`cli`] turns flags into a plan, [`target_source`] streams the
//! targets and [`scan`] runs the plan through the layers.

#![forbid(unsafe_code)]

pub mod cli;
pub mod fuzz;
pub mod limits;
pub mod scan;
pub(crate) mod target_source;
