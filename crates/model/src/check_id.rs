//! Check ids: the stable vocabulary shared by the checks, the catalog and the reports.

use std::fmt;

macro_rules! check_ids {
    ($($variant:ident => $id:literal,)*) => {
        /// Every finding certscan can report. The string ids are an API (CI gates and dashboards
        /// match on them); each has an entry in the `checks/` catalog.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId { $($variant,)* }

        impl CheckId {
            pub const ALL: &'static [CheckId] = &[$(CheckId::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(CheckId::$variant => $id,)* }
            }

            pub fn from_id(id: &str) -> Option<CheckId> {
                match id { $($id => Some(CheckId::$variant),)* _ => None }
            }
        }
    };
}

check_ids! {
    ChainIncomplete => "chain.incomplete",
    SelfSigned => "cert.self_signed",
    UnknownRoot => "chain.unknown_root",
    Untrusted => "chain.untrusted",
    ChainOrder => "chain.order",
    RootIncluded => "chain.root_included",
    ExtraCert => "chain.extra_cert",
    AnchorNotRoot => "chain.anchor_not_root",
    AnchorPurpose => "chain.anchor_purpose",
    AnchorOutOfDate => "chain.anchor_out_of_date",
    CaCannotSign => "chain.ca_cannot_sign",
    NameMismatch => "name.mismatch",
    CnOnly => "name.cn_only",
    Expired => "cert.expired",
    NotYetValid => "cert.not_yet_valid",
    ExpiresSoon => "cert.expires_soon",
    NoExtendedKeyUsage => "cert.no_extended_key_usage",
    LifetimeTooLong => "cert.lifetime_too_long",
    WeakKey => "key.weak",
    WeakSignature => "signature.weak",
    Unparsable => "cert.unparsable",
    ConnectionRefused => "connection.refused",
    ConnectionTimeout => "connection.timeout",
    ConnectionUnreachable => "connection.unreachable",
    ConnectionLocalFailure => "connection.local_failure",
    ResourceLimit => "certscan.resource_limit",
    DeadlineReached => "certscan.deadline",
    Capped => "certscan.capped",
    InternalError => "certscan.internal_error",
    ConnectionReset => "connection.reset",
    ConnectionClosed => "connection.closed",
    TlsAlert => "tls.alert",
    Plaintext => "tls.plaintext",
    HandshakeFailed => "tls.handshake_failed",
    LegacyOnly => "tls.legacy_only",
    ObsoleteOnly => "tls.obsolete_only",
    OldVersionsAccepted => "tls.old_versions_accepted",
    WeakSuiteAccepted => "tls.weak_suite_accepted",
    DheWeakGroup => "tls.dhe_weak_group",
    AcceptedUnchecked => "tls.accepted_unchecked",
    ClientCertRequired => "tls.client_cert_required",
    ClientCertOptional => "tls.client_cert_optional",
    ClientCertRefused => "tls.client_cert_refused",
    SignatureInvalid => "tls.signature_invalid",
    SignatureUnchecked => "tls.signature_unchecked",
    Unresolvable => "name.unresolvable",
    AddressDrift => "name.address_drift",
    FileReadError => "file.read_error",
    NoCertificate => "file.no_certificate",
    CaaForbidsIssuer => "caa.forbids_issuer",
    CaaMissing => "caa.missing",
    CaaCriticalUnknown => "caa.critical_unknown",
    CaaMalformed => "caa.malformed",
    CaaLookupFailed => "caa.lookup_failed",
    HostsLoopbackMismatch => "hosts.loopback_mismatch",
    HostsOverridesDns => "hosts.overrides_dns",
    CertNameUnresolvable => "name.cert_name_unresolvable",
    HttpNoAnswer => "http.no_answer",
    HstsMissing => "http.hsts_missing",
    HstsShort => "http.hsts_short",
    WssUpgradeRefused => "wss.upgrade_refused",
    WssNotWebsocket => "wss.not_websocket",
    WssBadAccept => "wss.bad_accept",
    WssNoAnswer => "wss.no_answer",
    SipNoAnswer => "sip.no_answer",
    SipNotSip => "sip.not_sip",
    SipNoServer => "sip.no_server",
    SipSrvUnusable => "sip.srv_unusable",
    SipNaptrMismatch => "sip.naptr_mismatch",
    SipLookupFailed => "sip.lookup_failed",
    SipIdentityMismatch => "sip.identity_mismatch",
    NoTls13 => "tls.no_tls13",
    KeyMismatch => "key.mismatch",
    KeyEncrypted => "key.encrypted",
    KeyWorldReadable => "key.world_readable",
    FileUnreadable => "file.unreadable",
    DeployStale => "deploy.stale",
    DeployStaleCopy => "deploy.stale_copy",
    CertbotNoDeployHook => "certbot.no_deploy_hook",
    CertbotHookCopiesLeaf => "certbot.hook_copies_leaf",
    CertbotHookNoReload => "certbot.hook_no_reload",
    ProxyBackendExposed => "proxy.backend_exposed",
    Pkcs12BadPassword => "pkcs12.bad_password",
    WazoHostMismatch => "wazo.host_mismatch",
    WazoVerifyMismatch => "wazo.verify_mismatch",
    WazoVerifyDisabled => "wazo.verify_disabled",
    KazooApiNotHttps => "kazoo.api_not_https",
    Nonconformant => "cert.nonconformant",
    NoClientAuth => "cert.no_client_auth",
    ClientAuthEnding => "cert.client_auth_ending",
    TargetInvalid => "target.invalid",
    Revoked => "cert.revoked",
    OcspMustStapleMissing => "ocsp.must_staple_missing",
    OcspStapleInvalid => "ocsp.staple_invalid",
    OcspStapleExpired => "ocsp.staple_expired",
    RevocationUnchecked => "revocation.unchecked",
    StartTlsNotOffered => "starttls.not_offered",
    StartTlsFailed => "starttls.failed",
    PolicyTlsVersion => "policy.tls_version",
    PolicyKey => "policy.key",
    PolicyIssuer => "policy.issuer",
    PolicyLifetime => "policy.lifetime",
    PolicyStapling => "policy.stapling",
    PolicySan => "policy.san",
    PolicyForbiddenFinding => "policy.forbidden_finding",
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
