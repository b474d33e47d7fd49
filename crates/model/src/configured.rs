//! What configuration files said, as the targets carry it to the checks: a certbot lineage with
//! its renewal hooks, and the connections Wazo's services make to each other. Reading those files
//! is `certscan-platforms`' work; these are the facts it hands over.

use std::path::PathBuf;

/// One certificate lineage.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lineage {
    pub name: String,
    /// `live/NAME/fullchain.pem`.
    pub fullchain: PathBuf,
    /// `live/NAME/privkey.pem`.
    pub key: PathBuf,
    /// The hooks that run after a renewal: `renew_hook`, `deploy_hook` or `post_hook` in
    /// `renewal/NAME.conf`, and the files in `renewal-hooks/deploy` and `renewal-hooks/post`.
    pub hooks: Vec<Hook>,
}

/// One hook and what it runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hook {
    /// Where certbot finds it: `deploy_hook in renewal/NAME.conf`, or a script's path.
    pub origin: String,
    /// The shell text it runs: the configured command, or the script (bounded); a script that the
    /// command names is read too, its lines following the command.
    pub text: String,
    /// The file whose lines `text` numbers, when it is a script.
    pub script: Option<PathBuf>,
}

/// The file that the documentation has administrators write, linked into each `conf.d/`.
pub const CUSTOM_FILE: &str = "/etc/xivo/custom/custom-certificate.yml";

/// A setting's effective value and the file that set it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sourced<T> {
    pub value: T,
    pub file: PathBuf,
}

/// One connection of a service to another, as the merged configuration makes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientSetting {
    /// The service that connects, e.g. `wazo-calld`.
    pub service: String,
    /// The section (the service connected to), e.g. `auth`.
    pub section: String,
    pub host: Option<Sourced<String>>,
    /// `https`; absent means the client library's default, HTTPS.
    pub https: Option<Sourced<bool>>,
    /// `verify_certificate`: `true`, `false`, or a CA file path; absent means `true`.
    pub verify: Option<Sourced<String>>,
    /// Where a `verify_certificate` path is found on this machine (under the configuration root).
    pub verify_file: Option<PathBuf>,
}

impl ClientSetting {
    /// Whether the connection is made over HTTPS (the client's default when `https` is absent).
    pub fn uses_https(&self) -> bool {
        self.https.as_ref().is_none_or(|h| h.value)
    }
}
