//! certscan's shared model: what to scan ([`target`]), what the probes saw ([`evidence`]), what
//! configuration files said ([`configured`]), what the checks found ([`finding`]) and how bad it
//! is ([`status`]), with the [`catalog`] of checks embedded from the top-level `checks/` folder.
//! Every other certscan crate builds on these types; this crate depends on none of them.

#![forbid(unsafe_code)]

pub mod catalog;
pub(crate) mod check_id;
pub mod configured;
pub mod evidence;
pub mod fault;
pub mod finding;
pub mod platform;
pub mod sip;
pub mod status;
pub mod target;
