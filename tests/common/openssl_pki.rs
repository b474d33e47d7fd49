//! Certificates made with the `openssl` command from extension lines, for the profiles rcgen
//! does not write (a CA whose keyUsage leaves out keyCertSign, an authority key identifier that
//! names another key, empty name constraints, a 21-octet serial...). Every certificate is valid
//! from now (for 30 days unless asked), since the real clients compared with certscan read the
//! clock.

use std::cell::Cell;
use std::process::Command;

/// The extensions of a well-formed root, intermediate and leaf (for `localhost`).
pub const ROOT: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
];
pub const INTERMEDIATE: &[&str] = &[
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
];
pub const LEAF: &[&str] = &[
    "basicConstraints=critical,CA:FALSE",
    "subjectAltName=DNS:localhost",
    "extendedKeyUsage=serverAuth",
    "keyUsage=critical,digitalSignature",
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
];

/// A certificate and its key, as PEM files.
pub struct Made {
    pub cert: String,
    pub key: String,
}

/// A folder of certificates made by the `openssl` command.
pub struct OpensslPki {
    dir: tempfile::TempDir,
    serial: Cell<u32>,
}

impl OpensslPki {
    pub fn new() -> OpensslPki {
        OpensslPki {
            dir: tempfile::tempdir().unwrap(),
            serial: Cell::new(0x5000),
        }
    }

    /// A self-signed certificate with these extensions.
    pub fn root(&self, name: &str, subject: &str, extensions: &[&str]) -> Made {
        self.make(name, subject, extensions, None, &[])
    }

    /// A certificate `issuer` signs, with these extensions, valid for 30 days.
    pub fn issue(&self, name: &str, issuer: &Made, subject: &str, extensions: &[&str]) -> Made {
        self.make(name, subject, extensions, Some(issuer), &[])
    }

    /// As `issue`, with these `openssl x509` options: `-set_serial N` (a negative one in
    /// decimal), `-days N`, `-sha1`.
    pub fn issue_with(&self, name: &str, issuer: &Made, subject: &str, extensions: &[&str], options: &[&str]) -> Made {
        self.make(name, subject, extensions, Some(issuer), options)
    }

    fn path(&self, file: &str) -> String {
        self.dir.path().join(file).display().to_string()
    }

    fn make(&self, name: &str, subject: &str, extensions: &[&str], issuer: Option<&Made>, options: &[&str]) -> Made {
        let (cert, key, csr, ext) = (
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.key")),
            self.path(&format!("{name}.csr")),
            self.path(&format!("{name}.ext")),
        );
        std::fs::write(&ext, extensions.join("\n") + "\n").unwrap();
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            subject,
        ]);
        self.serial.set(self.serial.get() + 1);
        let serial = format!("0x{:x}", self.serial.get());
        let mut args = vec!["x509", "-req", "-in", &csr, "-extfile", &ext];
        if !options.contains(&"-set_serial") {
            args.extend(["-set_serial", &serial]);
        }
        if !options.contains(&"-days") {
            args.extend(["-days", "30"]);
        }
        args.extend(options);
        match issuer {
            Some(issuer) => args.extend(["-CA", &issuer.cert, "-CAkey", &issuer.key]),
            None => args.extend(["-signkey", &key]),
        }
        args.extend(["-out", &cert]);
        openssl(&args);
        Made { cert, key }
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command (needed for this test)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
