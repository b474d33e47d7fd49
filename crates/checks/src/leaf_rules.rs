//! Rules some clients hold a server's certificate to beyond path validation, read from the
//! client families' data: an extendedKeyUsage required in the leaf, and a longest validity
//! (Safari's rules for certificates issued from July 2019). A finding is raised only when a
//! family's rule applies to the leaf; the families then judge it like any other.

use certscan_model::finding::{CheckId, Finding};
use certscan_x509::certificate::CertInfo;

use crate::clients::{Family, families};

/// A leaf's validity in whole days, as Apple counts it (from notBefore to notAfter).
pub(crate) fn validity_days(leaf: &CertInfo) -> i64 {
    (leaf.not_after_unix - leaf.not_before_unix) / 86_400
}

/// Whether the family's leaf rules hold for a certificate issued at `not_before_unix`; a start
/// date that is not a calendar date holds them for every leaf.
pub(crate) fn rules_apply(family: &Family, not_before_unix: i64) -> bool {
    match family.leaf_rules_from.and_then(|from| from.date) {
        Some(from) => unix_of(from).is_none_or(|from| not_before_unix >= from),
        None => true,
    }
}

/// The date a family's leaf rules start, as the data writes it.
pub(crate) fn rules_start(family: &Family) -> String {
    family
        .leaf_rules_from
        .and_then(|from| from.date)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// Findings on the leaf for the rules some family holds it to.
pub(crate) fn leaf_findings(leaf: &CertInfo) -> Vec<Finding> {
    if !leaf.parsed() {
        return vec![];
    }
    let applies = |family: &&Family| rules_apply(family, leaf.not_before_unix);
    let mut findings = vec![];
    if !leaf.has_extended_key_usage
        && families()
            .iter()
            .filter(applies)
            .any(|f| f.requires_server_auth_eku == Some(true))
    {
        findings.push(Finding::new(
            CheckId::NoExtendedKeyUsage,
            format!(
                "the leaf {} has no extendedKeyUsage extension (issued {})",
                leaf.label(),
                leaf.not_before
            ),
        ));
    }
    let days = validity_days(leaf);
    if families()
        .iter()
        .filter(applies)
        .any(|f| f.max_validity_days.is_some_and(|max| max > 0 && days > i64::from(max)))
    {
        findings.push(Finding::new(
            CheckId::LifetimeTooLong,
            format!(
                "the leaf {} is valid for {days} days ({} to {})",
                leaf.label(),
                leaf.not_before,
                leaf.not_after
            ),
        ));
    }
    findings
}

/// Midnight UTC of a date, in seconds since 1970; `None` for a day no calendar has.
fn unix_of(date: toml::value::Date) -> Option<i64> {
    let month = time::Month::try_from(date.month).ok()?;
    let day = time::Date::from_calendar_date(i32::from(date.year), month, date.day).ok()?;
    Some(day.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: u16, month: u8, day: u8) -> toml::value::Date {
        toml::value::Date { year, month, day }
    }

    #[test]
    fn dates_are_midnight_utc() {
        assert_eq!(unix_of(date(1970, 1, 1)), Some(0));
        assert_eq!(unix_of(date(2019, 7, 1)), Some(1_561_939_200));
        assert_eq!(unix_of(date(2000, 3, 1)), Some(951_868_800));
        assert_eq!(unix_of(date(2019, 2, 30)), None);
    }

    /// A leaf valid for `days` from `not_before`, with or without an extendedKeyUsage.
    fn leaf(not_before: (i32, u8, u8), days: i64, eku: bool) -> CertInfo {
        let mut params = rcgen::CertificateParams::new(vec!["a.example.test".to_string()]).unwrap();
        params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = params.not_before + time::Duration::days(days);
        if eku {
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        }
        let cert = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        CertInfo::from_der(cert.der(), 0)
    }

    fn ids(leaf: &CertInfo) -> Vec<CheckId> {
        leaf_findings(leaf).iter().map(|f| f.id).collect()
    }

    #[test]
    fn safaris_rules_hold_for_leaves_issued_from_july_2019_only() {
        assert_eq!(
            ids(&leaf((2024, 1, 10), 3650, false)),
            [CheckId::NoExtendedKeyUsage, CheckId::LifetimeTooLong]
        );
        assert_eq!(ids(&leaf((2024, 1, 10), 825, false)), [CheckId::NoExtendedKeyUsage]);
        assert!(ids(&leaf((2024, 1, 10), 825, true)).is_empty());
        assert_eq!(ids(&leaf((2024, 1, 10), 826, true)), [CheckId::LifetimeTooLong]);
        // Issued before the rules: no client named in the data holds it to them.
        assert!(ids(&leaf((2019, 6, 30), 3650, false)).is_empty());
    }
}
