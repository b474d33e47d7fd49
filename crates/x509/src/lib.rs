//! Certificates as certscan reads them: DER and names as text ([`der`]), parsed certificates
//! ([`certificate`]), shared within a run ([`parsed`]), signatures verified once
//! ([`signatures`]), trust anchors and path validation ([`trust`]), and OCSP ([`ocsp`]). Pure:
//! no file or network I/O; callers hand over the bytes.

#![forbid(unsafe_code)]

pub mod certificate;
pub mod der;
pub mod ocsp;
pub mod parsed;
pub(crate) mod signatures;
pub mod trust;
