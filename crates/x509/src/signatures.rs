//! Signatures already verified in a run. The endpoints of a fleet share their CA's
//! intermediate, and often their certificate (several ports of one host, one wildcard behind
//! many names): each distinct signature is verified once, and its success remembered by a
//! SHA-256 digest of everything the verification read (the algorithm, the public key, the
//! signed bytes and the signature). A verification that failed is not remembered: it is made
//! again, and fails again.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use ring::digest;
use rustls::pki_types::{AlgorithmIdentifier, FipsStatus, InvalidSignature, SignatureVerificationAlgorithm};

/// Verifications remembered at most (a table of about 4 MiB); past it, the memory starts again.
const REMEMBERED_AT_MOST: usize = 65_536;

/// The signatures verified so far, shared by every validation of a run.
#[derive(Clone)]
pub(crate) struct VerifiedSignatures {
    digests: Arc<Mutex<HashSet<[u8; 32]>>>,
    limit: usize,
}

impl Default for VerifiedSignatures {
    fn default() -> VerifiedSignatures {
        VerifiedSignatures::with_limit(REMEMBERED_AT_MOST)
    }
}

impl fmt::Debug for VerifiedSignatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifiedSignatures({} remembered)", self.lock().len())
    }
}

impl VerifiedSignatures {
    fn with_limit(limit: usize) -> VerifiedSignatures {
        VerifiedSignatures {
            digests: Arc::default(),
            limit,
        }
    }

    /// Every algorithm webpki verifies with, each remembering its successes here.
    pub(crate) fn algorithms(&self) -> Vec<Remembering<'_>> {
        self.remembering(webpki::ALL_VERIFICATION_ALGS)
    }

    /// `algorithms`, each remembering its successes here. An algorithm is known by its place
    /// in the list: two that share identifiers but not limits (RSA key sizes) stay apart.
    fn remembering(&self, algorithms: &'static [&'static dyn SignatureVerificationAlgorithm]) -> Vec<Remembering<'_>> {
        algorithms
            .iter()
            .enumerate()
            .map(|(index, algorithm)| Remembering {
                algorithm: *algorithm,
                index: index as u64,
                verified: self,
            })
            .collect()
    }

    /// How many verifications are remembered.
    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.digests.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn contains(&self, digest: &[u8; 32]) -> bool {
        self.lock().contains(digest)
    }

    fn insert(&self, digest: [u8; 32]) {
        let mut digests = self.lock();
        if digests.len() >= self.limit {
            digests.clear();
        }
        digests.insert(digest);
    }
}

/// One algorithm of a validation, answering from memory for a signature it already verified.
pub(crate) struct Remembering<'a> {
    algorithm: &'static dyn SignatureVerificationAlgorithm,
    index: u64,
    verified: &'a VerifiedSignatures,
}

impl fmt::Debug for Remembering<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Remembering({:?})", self.algorithm)
    }
}

impl Remembering<'_> {
    /// The digest of one verification: every input, each with its length.
    fn digest(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> [u8; 32] {
        let mut context = digest::Context::new(&digest::SHA256);
        context.update(&self.index.to_be_bytes());
        for part in [
            self.algorithm.signature_alg_id().as_ref(),
            self.algorithm.public_key_alg_id().as_ref(),
            public_key,
            message,
            signature,
        ] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(context.finish().as_ref());
        digest
    }
}

impl SignatureVerificationAlgorithm for Remembering<'_> {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        let digest = self.digest(public_key, message, signature);
        if self.verified.contains(&digest) {
            return Ok(());
        }
        self.algorithm.verify_signature(public_key, message, signature)?;
        self.verified.insert(digest);
        Ok(())
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.algorithm.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.algorithm.signature_alg_id()
    }

    fn fips_status(&self) -> FipsStatus {
        self.algorithm.fips_status()
    }

    fn fips(&self) -> bool {
        self.algorithm.fips()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An algorithm that accepts a signature equal to the message, and counts its calls.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        id: &'static [u8],
    }

    impl Counting {
        const fn new(id: &'static [u8]) -> Counting {
            Counting {
                calls: AtomicUsize::new(0),
                id,
            }
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    impl SignatureVerificationAlgorithm for Counting {
        fn verify_signature(&self, _key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if message == signature {
                Ok(())
            } else {
                Err(InvalidSignature)
            }
        }

        fn public_key_alg_id(&self) -> AlgorithmIdentifier {
            AlgorithmIdentifier::from_slice(self.id)
        }

        fn signature_alg_id(&self) -> AlgorithmIdentifier {
            AlgorithmIdentifier::from_slice(self.id)
        }
    }

    #[test]
    fn a_verified_signature_is_verified_once() {
        static ALGORITHM: Counting = Counting::new(b"a");
        static LIST: &[&dyn SignatureVerificationAlgorithm] = &[&ALGORITHM];
        let verified = VerifiedSignatures::default();
        let algorithms = verified.remembering(LIST);
        for _ in 0..3 {
            assert!(algorithms[0].verify_signature(b"key", b"signed", b"signed").is_ok());
        }
        assert_eq!(ALGORITHM.calls(), 1);
        // A clone of the memory (another validation of the run) remembers it too.
        let again = verified.clone();
        assert!(
            again.remembering(LIST)[0]
                .verify_signature(b"key", b"signed", b"signed")
                .is_ok()
        );
        assert_eq!(ALGORITHM.calls(), 1);
    }

    #[test]
    fn a_failed_verification_is_made_again_and_fails_again() {
        static ALGORITHM: Counting = Counting::new(b"b");
        static LIST: &[&dyn SignatureVerificationAlgorithm] = &[&ALGORITHM];
        let verified = VerifiedSignatures::default();
        let algorithms = verified.remembering(LIST);
        for _ in 0..2 {
            assert!(algorithms[0].verify_signature(b"key", b"signed", b"forged").is_err());
        }
        assert_eq!(ALGORITHM.calls(), 2);
    }

    #[test]
    fn any_other_input_is_verified_afresh() {
        static ALGORITHM: Counting = Counting::new(b"c");
        static LIST: &[&dyn SignatureVerificationAlgorithm] = &[&ALGORITHM];
        let verified = VerifiedSignatures::default();
        let algorithms = verified.remembering(LIST);
        assert!(algorithms[0].verify_signature(b"key", b"signed", b"signed").is_ok());
        // Another key, another message with its signature, and a forged signature.
        assert!(
            algorithms[0]
                .verify_signature(b"other key", b"signed", b"signed")
                .is_ok()
        );
        assert!(algorithms[0].verify_signature(b"key", b"other", b"other").is_ok());
        assert!(algorithms[0].verify_signature(b"key", b"signed", b"signed!").is_err());
        // Moving bytes between the parts changes the digest too.
        assert!(algorithms[0].verify_signature(b"keys", b"igned", b"igned").is_ok());
        assert_eq!(ALGORITHM.calls(), 5);
    }

    #[test]
    fn algorithms_that_share_identifiers_do_not_share_their_memory() {
        // As RSA_PKCS1_2048_8192_SHA384 and RSA_PKCS1_3072_8192_SHA384 do, with other limits.
        static LENIENT: Counting = Counting::new(b"d");
        static STRICT: Counting = Counting::new(b"d");
        static LIST: &[&dyn SignatureVerificationAlgorithm] = &[&LENIENT, &STRICT];
        let verified = VerifiedSignatures::default();
        let algorithms = verified.remembering(LIST);
        assert!(algorithms[0].verify_signature(b"key", b"signed", b"signed").is_ok());
        assert!(algorithms[1].verify_signature(b"key", b"signed", b"signed").is_ok());
        assert_eq!((LENIENT.calls(), STRICT.calls()), (1, 1));
    }

    #[test]
    fn the_memory_is_bounded() {
        static ALGORITHM: Counting = Counting::new(b"e");
        static LIST: &[&dyn SignatureVerificationAlgorithm] = &[&ALGORITHM];
        let verified = VerifiedSignatures::with_limit(2);
        let algorithms = verified.remembering(LIST);
        for message in [b"1", b"2", b"3"] {
            assert!(algorithms[0].verify_signature(b"key", message, message).is_ok());
        }
        assert_eq!(verified.remembered(), 1);
        // The first was forgotten when the third came: it is verified again.
        assert!(algorithms[0].verify_signature(b"key", b"1", b"1").is_ok());
        assert_eq!(ALGORITHM.calls(), 4);
    }

    #[test]
    fn the_wrapped_algorithms_are_webpki_s() {
        let verified = VerifiedSignatures::default();
        let algorithms = verified.algorithms();
        assert_eq!(algorithms.len(), webpki::ALL_VERIFICATION_ALGS.len());
        for (wrapped, original) in algorithms.iter().zip(webpki::ALL_VERIFICATION_ALGS) {
            assert_eq!(wrapped.signature_alg_id(), original.signature_alg_id());
            assert_eq!(wrapped.public_key_alg_id(), original.public_key_alg_id());
            assert_eq!(wrapped.fips(), original.fips());
        }
    }
}
