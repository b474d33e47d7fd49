//! certscan: TLS certificate diagnostics for endpoints and files.
//!
//! Data flows one way: [`target`] parses what to scan (with [`profile`]s and the [`configs`] of
//! nginx, certbot, Wazo and Kazoo adding targets), [`probe`] records what endpoints, files and DNS
//! hold ([`evidence`]), [`analysis`] judges it into [`finding`]s, and [`report`] renders the run.
//! [`cli`] turns flags into a plan and [`scan`] runs it. The [`catalog`] of checks is embedded
//! from `checks/`.

#![forbid(unsafe_code)]

pub mod analysis;
pub mod builtin;
pub mod catalog;
pub mod cli;
pub mod configs;
pub mod der;
pub mod evidence;
pub mod finding;
pub mod fuzz;
pub mod limits;
pub mod ocsp;
pub mod probe;
pub mod profile;
pub mod report;
pub mod scan;
pub mod status;
pub mod target;
pub mod target_source;

/// Fault injection for the tests of failure isolation, in debug builds only: panics when the
/// environment variable `CERTSCAN_FAULT_PANIC` is `STAGE:INPUT` for this stage and target input.
#[cfg(debug_assertions)]
pub fn injected_fault(stage: &str, input: &str) {
    if std::env::var("CERTSCAN_FAULT_PANIC").is_ok_and(|fault| fault == format!("{stage}:{input}")) {
        panic!("fault injected in {stage} for {input}");
    }
}

/// Release builds carry no fault injection.
#[cfg(not(debug_assertions))]
pub fn injected_fault(_stage: &str, _input: &str) {}

/// The text of a panic's payload (a `&str` or a `String`), for reports.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
