//! Platform profiles: the TLS ports a platform serves, with each port's protocol, request path,
//! service name and how much a closed port matters. Profiles are data files in
//! `checks/profiles/`; users can pass their own file.

use serde::Deserialize;

use certscan_model::status::Severity;
use certscan_model::target::{Protocol, Target};

/// The profiles built into the binary.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("kazoo", include_str!("../../../checks/profiles/kazoo.toml")),
    ("kurento", include_str!("../../../checks/profiles/kurento.toml")),
    ("wazo", include_str!("../../../checks/profiles/wazo.toml")),
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub description: String,
    #[serde(rename = "port")]
    pub(crate) ports: Vec<ProfilePort>,
    /// The client families that call these services, beyond the mainstream ones: their
    /// failures are CRITICAL too.
    #[serde(default)]
    pub clients: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilePort {
    pub port: u16,
    pub protocol: Protocol,
    #[serde(default = "root_path")]
    pub path: String,
    pub service: String,
    /// Severity of a refused connection: optional services are not CRITICAL when off.
    #[serde(default = "critical")]
    pub if_refused: Severity,
}

fn root_path() -> String {
    "/".into()
}

fn critical() -> Severity {
    Severity::Critical
}

fn parse(text: &str, source: &str) -> Result<Profile, String> {
    let profile: Profile = toml::from_str(text).map_err(|e| format!("profile {source}: {e}"))?;
    if profile.ports.is_empty() {
        return Err(format!("profile {source} lists no port"));
    }
    if let Some(bad) = profile.ports.iter().find(|p| p.port == 0 || !p.path.starts_with('/')) {
        return Err(format!(
            "profile {source}: port {} needs a port number and a path starting with '/'",
            bad.port
        ));
    }
    Ok(profile)
}

/// A built-in profile by name, or a profile file by path.
pub fn load(name_or_path: &str) -> Result<Profile, String> {
    let text = certscan_probe::builtin::text("--profile", "profile", BUILTIN, name_or_path)?;
    parse(&text, name_or_path)
}

/// The names of the built-in profiles (for shell completion).
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(name, _)| *name).collect()
}

/// `certscan --list-profiles`.
pub fn list() -> String {
    let mut out = String::new();
    for (name, text) in BUILTIN {
        let Ok(profile) = parse(text, name) else { continue };
        out.push_str(&format!("{name}: {}\n", profile.description));
        for port in &profile.ports {
            out.push_str(&format!(
                "  {:>5}  {:<5}  {:<14}  {} (if not listening: {})\n",
                port.port,
                port.protocol.as_str(),
                port.path,
                port.service,
                port.if_refused.as_str()
            ));
        }
    }
    out
}

/// Expands each bare host (no scheme, no port) into the profile's ports; a target whose port is
/// in the profile and has no scheme takes the profile's protocol, path and service.
pub fn apply(profile: &Profile, targets: Vec<Target>) -> Vec<Target> {
    let mut out = Vec::new();
    for target in targets {
        if !target.scheme_given && !target.port_given {
            for port in &profile.ports {
                out.push(Target {
                    port: port.port,
                    ..with_port(target.clone(), port)
                });
            }
            continue;
        }
        match profile.ports.iter().find(|p| p.port == target.port) {
            Some(port) if !target.scheme_given => out.push(with_port(target, port)),
            Some(port) => out.push(Target {
                service: Some(port.service.clone()),
                if_refused: Some(port.if_refused),
                ..target
            }),
            None => out.push(target),
        }
    }
    out
}

fn with_port(target: Target, port: &ProfilePort) -> Target {
    Target {
        protocol: port.protocol,
        path: port.path.clone(),
        service: Some(port.service.clone()),
        if_refused: Some(port.if_refused),
        ..target
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certscan_model::target::parse_target;

    #[test]
    fn every_builtin_profile_parses_and_every_profile_file_is_built_in() {
        for (name, text) in BUILTIN {
            let profile = parse(text, name).unwrap();
            assert_eq!(profile.name, *name);
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../checks/profiles");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".toml")
                    .to_string()
            })
            .collect();
        files.sort();
        let builtin: Vec<&str> = BUILTIN.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, builtin);
    }

    #[test]
    fn bare_hosts_expand_and_explicit_ports_take_the_profile_details() {
        let wazo = load("wazo").unwrap();
        let mut targets = parse_target("wazo.example.com").unwrap();
        targets.extend(parse_target("other.example.com:9497,8888").unwrap());
        targets.extend(parse_target("https://third.example.com:5061/x").unwrap());
        let expanded = apply(&wazo, targets);
        let bare: Vec<(u16, Protocol)> = expanded
            .iter()
            .filter(|t| t.host.to_string() == "wazo.example.com")
            .map(|t| (t.port, t.protocol))
            .collect();
        assert_eq!(bare.len(), wazo.ports.len());
        assert!(bare.contains(&(5061, Protocol::Sips)) && bare.contains(&(9502, Protocol::Wss)));
        let auth = expanded
            .iter()
            .find(|t| t.port == 9497 && t.host.to_string() == "other.example.com")
            .unwrap();
        assert_eq!(
            (auth.path.as_str(), auth.service.as_deref()),
            ("/0.1/status", Some("wazo-auth"))
        );
        let unknown = expanded.iter().find(|t| t.port == 8888).unwrap();
        assert_eq!((unknown.protocol, unknown.service.clone()), (Protocol::Tls, None));
        let schemed = expanded
            .iter()
            .find(|t| t.host.to_string() == "third.example.com")
            .unwrap();
        assert_eq!(
            (schemed.protocol, schemed.path.as_str()),
            (Protocol::Https, "/x"),
            "a scheme wins over the profile"
        );
        assert_eq!(schemed.if_refused, Some(Severity::Warning));
    }

    #[test]
    fn unknown_profiles_and_bad_files_are_errors() {
        assert!(
            load("nope")
                .unwrap_err()
                .contains("built-in profile (kazoo, kurento, wazo)")
        );
        assert!(
            parse("name = \"x\"\ndescription = \"y\"\nport = []\n", "x")
                .unwrap_err()
                .contains("no port")
        );
        assert!(parse("name = 1", "x").is_err());
    }
}
