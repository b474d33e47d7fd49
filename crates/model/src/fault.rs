//! Failure isolation's helpers: the fault injection that its tests use (debug builds only) and
//! the text of a caught panic.

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
