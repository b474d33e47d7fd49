//! The check catalog embedded from `checks/*.toml`: per check id, its title, default severity,
//! why it matters, the remediation and the command that shows the same problem by hand.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::check_id::CheckId;
use crate::status::Severity;

include!(concat!(env!("OUT_DIR"), "/catalog_sources.rs"));

/// One catalog entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub why: String,
    pub remediation: String,
    /// The openssl/curl command that shows the same thing by hand.
    pub manual: String,
}

/// The whole catalog for `--list-checks --format json` (an array) or `ndjson` (a line each).
pub fn as_json(ndjson: bool) -> String {
    let entries = entries();
    let mut text = if ndjson {
        entries
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        serde_json::to_string_pretty(&entries).unwrap_or_default()
    };
    text.push('\n');
    text
}

/// Parses every embedded entry; an error names the file. Used by `entries()` and by tests.
pub(crate) fn parse_all() -> Result<Vec<Entry>, String> {
    CATALOG_SOURCES
        .iter()
        .map(|(file, text)| {
            let mut entry: Entry = toml::from_str(text).map_err(|e| format!("checks/{file}: {e}"))?;
            for field in [
                &mut entry.title,
                &mut entry.why,
                &mut entry.remediation,
                &mut entry.manual,
            ] {
                *field = field.trim().to_string();
            }
            if format!("{}.toml", entry.id) != *file {
                return Err(format!("checks/{file}: id {:?} does not match the file name", entry.id));
            }
            Ok(entry)
        })
        .collect()
}

fn by_id() -> &'static HashMap<String, Entry> {
    static CATALOG: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        // The catalog is compiled in and tested; a broken entry is a build defect.
        let entries = parse_all().expect("the embedded check catalog parses");
        entries.into_iter().map(|e| (e.id.clone(), e)).collect()
    })
}

/// All entries, sorted by id.
pub fn entries() -> Vec<&'static Entry> {
    let mut all: Vec<&Entry> = by_id().values().collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

/// The entry of a check id.
pub fn entry(id: CheckId) -> &'static Entry {
    by_id()
        .get(id.as_str())
        .expect("every CheckId has a catalog entry (tested)")
}

/// The entry for an id as a user typed it.
pub fn lookup(id: &str) -> Option<&'static Entry> {
    by_id().get(id)
}

/// `certscan --explain ID`.
pub fn explain(entry: &Entry) -> String {
    format!(
        "{id}: {title}\nDefault severity: {sev}\n\nWhy it matters:\n  {why}\n\nHow to fix it:\n  {rem}\n\nSee it by hand:\n  {man}\n",
        id = entry.id,
        title = entry.title,
        sev = entry.severity.as_str(),
        why = entry.why,
        rem = entry.remediation,
        man = entry.manual
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_id_has_exactly_one_catalog_entry_and_back() {
        let entries = parse_all().unwrap();
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        for id in CheckId::ALL {
            assert!(ids.contains(&id.as_str()), "{id} has no checks/{id}.toml");
        }
        for id in &ids {
            assert!(
                CheckId::from_id(id).is_some(),
                "checks/{id}.toml names no check the code reports"
            );
        }
        assert_eq!(ids.len(), CheckId::ALL.len());
    }

    #[test]
    fn every_entry_is_filled_in() {
        for e in parse_all().unwrap() {
            for (field, text) in [
                ("title", &e.title),
                ("why", &e.why),
                ("remediation", &e.remediation),
                ("manual", &e.manual),
            ] {
                assert!(text.len() > 10, "{}: {field} is too short", e.id);
            }
        }
    }

    #[test]
    fn explain_prints_every_part() {
        let text = explain(entry(CheckId::ChainIncomplete));
        assert!(text.starts_with("chain.incomplete: "));
        assert!(text.contains("fullchain.pem"));
        assert!(text.contains("openssl s_client"));
    }
}
