//! The platforms certscan knows by name (`--profile wazo|kazoo|kurento`): their rules and
//! wording apply when their profile is in use.

/// A platform whose profile is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Wazo,
    Kazoo,
    Kurento,
}

impl Platform {
    /// The platform a `--profile` value names; a profile file names none.
    pub fn from_profile(profile: Option<&str>) -> Option<Platform> {
        match profile? {
            "wazo" => Some(Platform::Wazo),
            "kazoo" => Some(Platform::Kazoo),
            "kurento" => Some(Platform::Kurento),
            _ => None,
        }
    }
}
