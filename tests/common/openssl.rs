//! `openssl s_server` as a test server, for what no in-process server can do (ring signs with no
//! RSA key under 2048 bits): started on 127.0.0.1 with port 0, its port read from its `ACCEPT`
//! line, killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct OpensslServer {
    child: Child,
    pub port: u16,
}

impl OpensslServer {
    /// Serves `cert` (PEM, the leaf) with `key`, with these extra options (`-cert_chain FILE`
    /// for the intermediates).
    pub fn start(cert: &str, key: &str, options: &[&str]) -> OpensslServer {
        let mut child = Command::new("openssl")
            .args(["s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www"])
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server (the openssl command-line tool is needed for this test)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = match lines.next() {
                Some(Ok(line)) => line,
                _ => {
                    let _ = child.kill();
                    panic!("openssl s_server {options:?} ended before it listened");
                }
            };
            if let Some(address) = line.strip_prefix("ACCEPT ") {
                break address.rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        // Its later output is not needed, but must not fill a pipe nobody reads.
        std::thread::spawn(move || lines.for_each(drop));
        OpensslServer { child, port }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
