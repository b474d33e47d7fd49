//! Kurento Media Server: its secure WebSocket serves the certificate its JSON configuration
//! names, and WebRTC calls fail silently when browsers reject it.

use certscan_checks::{Check, Enriched, PlatformRules, Policy, TargetResult};

/// Kurento: its wording of certificate fixes and its reload command.
#[derive(Debug)]
pub(crate) struct Kurento;

impl PlatformRules for Kurento {
    fn rewordings(&self) -> &'static [Check] {
        &[reword]
    }
}

impl super::Platform for Kurento {
    fn reload_command(&self) -> Option<&'static str> {
        Some("systemctl restart kurento-media-server")
    }
}

/// Where Kurento's certificate lives and how it is reloaded.
fn reword(_: &Enriched, _: &Policy, result: &mut TargetResult) {
    super::fix_certificate_findings(
        "Kurento serves its secure WebSocket (port 8433, path /kurento) with the certificate named in /etc/kurento/kurento.conf.json (mediaServer.net.websocket.secure.certificate: one PEM file holding the full chain and the key, readable by the kurento account): replace it with a certificate from a CA, with the intermediate after the leaf, then systemctl restart kurento-media-server. Browsers reject a self-signed WSS certificate without showing a page, so WebRTC calls fail silently.",
        &mut result.findings,
    );
}
