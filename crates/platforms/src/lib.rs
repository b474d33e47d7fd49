//! What services are configured with: configuration files read into extra targets (the
//! certificate files they name, and the ports that should serve them), so every check applies.

pub mod certbot;
pub mod kazoo;
pub mod nginx;
pub mod profile;
pub mod wazo;

use certscan_model::target::{FileTarget, ResolvePin, Target};

/// What a configuration asks to check: certificate files, endpoints, and the addresses those
/// endpoints' names must be pinned to (this machine).
#[derive(Debug, Clone, Default)]
pub struct ConfiguredTargets {
    pub files: Vec<FileTarget>,
    pub targets: Vec<Target>,
    pub pins: Vec<ResolvePin>,
}
