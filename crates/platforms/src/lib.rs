//! What services are configured with: nginx, certbot, Wazo and Kazoo configurations read into
//! extra targets (the certificate files they name, and the ports that should serve them), so
//! every check applies; the platform profiles that expand a host into its ports; and each
//! platform's reload command.

pub mod certbot;
pub mod kazoo;
pub mod nginx;
pub mod profile;
pub mod wazo;

use certscan_model::platform::Platform;
use certscan_model::target::{FileTarget, ResolvePin, Target};

/// What a configuration asks to check: certificate files, endpoints, and the addresses those
/// endpoints' names must be pinned to (this machine).
#[derive(Debug, Clone, Default)]
pub struct ConfiguredTargets {
    pub files: Vec<FileTarget>,
    pub targets: Vec<Target>,
    pub pins: Vec<ResolvePin>,
}

/// The command that makes the platform's services take a new certificate, as the fixes of
/// `deploy.stale` say it.
pub fn reload_command(platform: Option<Platform>) -> &'static str {
    match platform {
        Some(Platform::Wazo) => "wazo-service restart all (xivo-service restart all on older releases)",
        Some(Platform::Kazoo) => {
            "sup kapps_controller restart_app crossbar (Kazoo 4; on Kazoo 3: sup whapps_controller restart_app crossbar)"
        }
        Some(Platform::Kurento) => "systemctl restart kurento-media-server",
        None => "systemctl reload nginx (or restart the service that serves this port)",
    }
}
