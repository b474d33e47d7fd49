//! nginx configuration: a tokenizer and parser for its directive syntax, `include` (with `*`
//! globs), and the TLS `server` blocks it defines (listen ports, server names, certificate and key).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{ConfigError, Discovered};
use certscan_checks::{Check, Enriched, PlatformRules, Policy, TargetResult};
use certscan_model::finding::CheckId;
use certscan_model::target::{self, Extra, FileTarget, Host, ResolvePin};

/// nginx: the TLS server blocks of its configuration are files and ports to check, and plain
/// HTTP on a port it forwards to is worded as the backend behind the proxy.
#[derive(Debug)]
pub struct Nginx;

impl PlatformRules for Nginx {
    fn rewordings(&self) -> &'static [Check] {
        &[reword_proxy_backend]
    }
}

impl super::Platform for Nginx {
    fn local_place(&self) -> Option<PathBuf> {
        Some(PathBuf::from("/etc/nginx/sites-enabled")).filter(|p| p.is_dir())
    }

    fn discover(&self, place: &Path) -> Result<Discovered, ConfigError> {
        targets(place)
    }
}

/// Plain HTTP on a port of this machine that the proxy forwards to is the backend itself,
/// reached around the proxy: it should not be reachable, rather than speak TLS.
fn reword_proxy_backend(source: &Enriched, policy: &Policy, result: &mut TargetResult) {
    let evidence = &source.parsed.evidence;
    let certscan_model::evidence::Origin::Endpoint {
        port,
        address: Some(address),
        ..
    } = &evidence.origin
    else {
        return;
    };
    let local = address.is_loopback() || policy.local_addresses.contains(address) || policy.assume_local;
    let Some((upstream, _)) = policy
        .proxied_backends
        .iter()
        .find(|(_, p)| p == port)
        .filter(|_| local)
    else {
        return;
    };
    for finding in result.findings.iter_mut().filter(|f| f.id == CheckId::Plaintext) {
        finding.detail.push_str(&format!(
            "; this port is the backend the proxy forwards to ({upstream})"
        ));
        finding.remediation = Some(format!(
            "Do not enable TLS here: this is the plain-HTTP backend behind the proxy, which clients must reach through the proxy's HTTPS port. Bind it to 127.0.0.1 (for Docker: -p 127.0.0.1:{port}:{port}) so that it cannot be reached around the proxy."
        ));
    }
}

/// One directive, with its block when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub block: Option<Vec<Directive>>,
    /// `file:line` where it stands.
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Semicolon,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            ';' => tokens.push((Token::Semicolon, line)),
            '{' => tokens.push((Token::Open, line)),
            '}' => tokens.push((Token::Close, line)),
            '"' | '\'' => {
                let (quote, start) = (c, line);
                let mut word = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("line {start}: unterminated quoted string")),
                        Some('\\') => word.extend(chars.next()),
                        Some(c) if c == quote => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            word.push(c)
                        }
                    }
                }
                tokens.push((Token::Word(word), start));
            }
            c => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || matches!(next, ';' | '{' | '}') {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push((Token::Word(word), line));
            }
        }
    }
    Ok(tokens)
}

/// Parses configuration text; `file` names it in places and errors.
pub fn parse(text: &str, file: &str) -> Result<Vec<Directive>, String> {
    let tokens = tokenize(text).map_err(|e| format!("{file}: {e}"))?;
    let mut position = 0;
    let directives = parse_block(&tokens, &mut position, file, 0)?;
    if position < tokens.len() {
        return Err(format!("{file}:{}: unexpected '}}'", tokens[position].1));
    }
    Ok(directives)
}

fn parse_block(tokens: &[(Token, usize)], at: &mut usize, file: &str, depth: usize) -> Result<Vec<Directive>, String> {
    if depth > 32 {
        return Err(format!("{file}: blocks nested too deeply"));
    }
    let mut directives = Vec::new();
    while *at < tokens.len() {
        let (token, line) = &tokens[*at];
        let Token::Word(name) = token else {
            if *token == Token::Close && depth > 0 {
                return Ok(directives);
            }
            return Err(format!("{file}:{line}: unexpected {token:?}"));
        };
        let place = format!("{file}:{line}");
        *at += 1;
        let mut args = Vec::new();
        loop {
            match tokens.get(*at) {
                None => return Err(format!("{place}: directive {name:?} is not terminated")),
                Some((Token::Word(word), _)) => args.push(word.clone()),
                Some((Token::Semicolon, _)) => {
                    *at += 1;
                    directives.push(Directive {
                        name: name.clone(),
                        args,
                        block: None,
                        place,
                    });
                    break;
                }
                Some((Token::Open, _)) => {
                    *at += 1;
                    let block = parse_block(tokens, at, file, depth + 1)?;
                    match tokens.get(*at) {
                        Some((Token::Close, _)) => *at += 1,
                        _ => return Err(format!("{place}: block of {name:?} is not closed")),
                    }
                    directives.push(Directive {
                        name: name.clone(),
                        args,
                        block: Some(block),
                        place,
                    });
                    break;
                }
                Some((Token::Close, line)) => return Err(format!("{file}:{line}: unexpected '}}'")),
            }
            *at += 1;
        }
    }
    if depth > 0 {
        return Err(format!("{file}: a block is not closed"));
    }
    Ok(directives)
}

/// Files matching a path whose last component may hold `*`; none when its folder is absent (as
/// nginx's glob matches nothing there), an error when it cannot be listed.
fn expand_glob(pattern: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains('*') {
        return Ok(vec![pattern.to_path_buf()]);
    }
    let dir = pattern.parent().unwrap_or(Path::new("."));
    let parts: Vec<&str> = name.split('*').collect();
    let matches = |candidate: &str| {
        let (first, last) = (parts[0], parts[parts.len() - 1]);
        if !candidate.starts_with(first) || !candidate.ends_with(last) || candidate.len() < first.len() + last.len() {
            return false;
        }
        let mut rest = &candidate[first.len()..candidate.len() - last.len()];
        for middle in &parts[1..parts.len() - 1] {
            match rest.find(middle) {
                Some(i) => rest = &rest[i + middle.len()..],
                None => return false,
            }
        }
        true
    };
    Ok(super::optional_folder(dir)?
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|n| matches(&n.to_string_lossy())))
        .collect())
}

/// Limits on what a configuration may pull in.
const MAX_FILES: usize = 256;
const MAX_DEPTH: usize = 8;

/// Loads a configuration file, or every file of a folder (like sites-enabled), with `include`s
/// replaced by the directives of the files they name. Relative includes are resolved against
/// `root` (nginx's configuration folder).
pub(crate) fn load(path: &Path, root: &Path) -> Result<Vec<Directive>, ConfigError> {
    let mut budget = MAX_FILES;
    let files = if path.is_dir() {
        certscan_probe::file::list_folder(path)?
            .into_iter()
            .filter(|p| p.is_file())
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    let mut all = Vec::new();
    for file in files {
        all.extend(load_file(&file, root, 0, &mut budget)?);
    }
    Ok(all)
}

fn load_file(path: &Path, root: &Path, depth: usize, budget: &mut usize) -> Result<Vec<Directive>, ConfigError> {
    if depth > MAX_DEPTH || *budget == 0 {
        return Err(format!("{}: too many nested or included files", path.display()).into());
    }
    *budget -= 1;
    let bytes = certscan_probe::file::read_bounded(path)?;
    let directives = parse(&String::from_utf8_lossy(&bytes), &path.display().to_string())?;
    resolve_includes(directives, root, depth, budget)
}

fn resolve_includes(
    directives: Vec<Directive>,
    root: &Path,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Directive>, ConfigError> {
    let mut out = Vec::new();
    for mut directive in directives {
        if directive.name == "include" && directive.block.is_none() {
            for pattern in &directive.args {
                let pattern = if Path::new(pattern).is_absolute() {
                    PathBuf::from(pattern)
                } else {
                    root.join(pattern)
                };
                for file in expand_glob(&pattern)? {
                    if file.is_file() {
                        out.extend(load_file(&file, root, depth + 1, budget)?);
                    }
                }
            }
            continue;
        }
        if let Some(block) = directive.block.take() {
            directive.block = Some(resolve_includes(block, root, depth, budget)?);
        }
        out.push(directive);
    }
    Ok(out)
}

/// A TLS `server` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `file:line` of the `server` directive.
    pub place: String,
    /// Where its TLS `listen`s listen: an address (`None` for all of them) and a port.
    pub listens: Vec<(Option<IpAddr>, u16)>,
    pub names: Vec<String>,
    /// Every `ssl_certificate` with the `ssl_certificate_key` of the same rank (nginx pairs them
    /// in order: an RSA and an ECDSA certificate side by side).
    pub certificates: Vec<(PathBuf, Option<PathBuf>)>,
    /// The backends its `proxy_pass`es send requests to on this machine: (as written, port).
    pub backends: Vec<(String, u16)>,
}

/// `proxy_pass` targets anywhere in a block (its `location`s included).
fn proxy_passes(block: &[Directive], out: &mut Vec<String>) {
    for directive in block {
        if directive.name == "proxy_pass"
            && let Some(url) = directive.args.first()
        {
            out.push(url.clone());
        }
        if let Some(inner) = &directive.block {
            proxy_passes(inner, out);
        }
    }
}

/// `upstream NAME { server ADDRESS; ... }` blocks: each name with its servers.
fn upstreams(block: &[Directive], out: &mut Vec<(String, Vec<String>)>) {
    for directive in block {
        let Some(inner) = &directive.block else { continue };
        if directive.name == "upstream"
            && let Some(name) = directive.args.first()
        {
            out.push((
                name.clone(),
                values(inner, "server").iter().map(|s| s.to_string()).collect(),
            ));
        } else {
            upstreams(inner, out);
        }
    }
}

/// The local backends a `proxy_pass` URL reaches: a loopback host (`127.0.0.1`, `localhost`,
/// `[::1]`) and its port, directly or through an `upstream` block.
fn local_backends(url: &str, upstreams: &[(String, Vec<String>)]) -> Vec<(String, u16)> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    let default_port = if scheme == "https" { 443 } else { 80 };
    let servers: Vec<String> = match upstreams.iter().find(|(name, _)| name == authority) {
        Some((_, servers)) => servers.clone(),
        None => vec![authority.to_string()],
    };
    servers
        .iter()
        .filter_map(|server| {
            let (host, port) = match server.rsplit_once(':') {
                Some((host, port)) if !port.contains(']') => (host, port.parse().ok()?),
                _ => (server.as_str(), default_port),
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|a| a.is_loopback());
            loopback.then(|| (format!("{url} ({server})"), port))
        })
        .collect()
}

fn values<'a>(block: &'a [Directive], name: &str) -> Vec<&'a str> {
    block
        .iter()
        .filter(|d| d.name == name)
        .filter_map(|d| d.args.first())
        .map(String::as_str)
        .collect()
}

fn value<'a>(block: &'a [Directive], name: &str) -> Option<&'a str> {
    values(block, name).last().copied()
}

/// The address and port of a `listen` argument: `443`, `*:443`, `0.0.0.0:443`, `[::]:443`,
/// `192.0.2.10:443`, `[2001:db8::1]:443`; wildcard addresses give `None`. A UNIX socket or a
/// name gives nothing.
fn listen_address(arg: &str) -> Option<(Option<IpAddr>, u16)> {
    let (host, port) = match arg.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(':') || host.starts_with('[') => (Some(host), port),
        _ => (None, arg),
    };
    let port: u16 = port.parse().ok()?;
    let address = match host.map(|h| h.trim_start_matches('[').trim_end_matches(']')) {
        None | Some("*") => None,
        Some(text) => match text.parse::<IpAddr>().ok()? {
            a if a.is_unspecified() => None,
            a => Some(a),
        },
    };
    Some((address, port))
}

/// Every `server` block that serves TLS or names a certificate, with certificates and keys
/// inherited from the enclosing `http` block as nginx does.
pub fn sites(directives: &[Directive]) -> Vec<Site> {
    let mut found = Vec::new();
    collect(directives, &[], &[], &mut found);
    let mut named = Vec::new();
    upstreams(directives, &mut named);
    for site in &mut found {
        let urls = std::mem::take(&mut site.backends);
        site.backends = urls.iter().flat_map(|(url, _)| local_backends(url, &named)).collect();
    }
    found
}

fn collect(block: &[Directive], certificates: &[&str], keys: &[&str], found: &mut Vec<Site>) {
    // A level that names certificates replaces the inherited ones (nginx's array inheritance).
    let own_certificates = values(block, "ssl_certificate");
    let certificates: Vec<&str> = if own_certificates.is_empty() {
        certificates.to_vec()
    } else {
        own_certificates
    };
    let own_keys = values(block, "ssl_certificate_key");
    let keys: Vec<&str> = if own_keys.is_empty() { keys.to_vec() } else { own_keys };
    for directive in block {
        let Some(inner) = &directive.block else { continue };
        if directive.name != "server" {
            if directive.name == "http" {
                collect(inner, &certificates, &keys, found);
            }
            continue;
        }
        let ssl_everywhere = value(inner, "ssl") == Some("on");
        let mut listens: Vec<(Option<IpAddr>, u16)> = Vec::new();
        for listen in inner.iter().filter(|d| d.name == "listen") {
            if !(ssl_everywhere || listen.args.iter().any(|a| a == "ssl")) {
                continue;
            }
            if let Some(address) = listen.args.first().and_then(|a| listen_address(a))
                && !listens.contains(&address)
            {
                listens.push(address);
            }
        }
        let site_certificates = values(inner, "ssl_certificate");
        if listens.is_empty() && site_certificates.is_empty() {
            continue;
        }
        let site_certificates: Vec<&str> = if site_certificates.is_empty() {
            certificates.clone()
        } else {
            site_certificates
        };
        let site_keys = values(inner, "ssl_certificate_key");
        let site_keys: Vec<&str> = if site_keys.is_empty() { keys.clone() } else { site_keys };
        let names = inner
            .iter()
            .filter(|d| d.name == "server_name")
            .flat_map(|d| d.args.iter())
            .filter(|n| !n.is_empty() && *n != "_" && !n.starts_with('~') && !n.starts_with('.') && !n.contains('$'))
            .cloned()
            .collect();
        let mut urls = Vec::new();
        proxy_passes(inner, &mut urls);
        found.push(Site {
            place: directive.place.clone(),
            backends: urls.into_iter().map(|url| (url, 0)).collect(),
            listens,
            names,
            certificates: site_certificates
                .iter()
                .enumerate()
                .map(|(i, c)| (PathBuf::from(c), site_keys.get(i).map(PathBuf::from)))
                .collect(),
        });
    }
}

/// nginx's configuration prefix, against which relative `include`s resolve: the nearest folder
/// above the path that holds `nginx.conf`, else the folder above `sites-enabled` or `conf.d`,
/// else the path's folder.
pub(crate) fn prefix(path: &Path) -> PathBuf {
    let start = if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(path)
    };
    if let Some(found) = start.ancestors().find(|dir| dir.join("nginx.conf").is_file()) {
        return found.to_path_buf();
    }
    match start.file_name().and_then(|n| n.to_str()) {
        Some("sites-enabled" | "sites-available" | "conf.d" | "snippets") => {
            start.parent().unwrap_or(start).to_path_buf()
        }
        _ => start.to_path_buf(),
    }
}

/// The targets an nginx configuration defines: per TLS server block, each certificate file (with
/// its key and server names) and each TLS `listen`, scanned at the address it listens on (this
/// machine's loopback for a wildcard), which should serve one of those files.
pub(crate) fn targets(path: &Path) -> Result<Discovered, ConfigError> {
    let root = prefix(path);
    let directives = load(path, &root)?;
    let (mut files, mut targets, mut pins) = (Vec::new(), Vec::new(), Vec::new());
    for site in sites(&directives) {
        let source = format!("nginx {}", site.place);
        let names: Vec<String> = site.names.iter().filter(|n| !n.contains('*')).cloned().collect();
        let Some((primary, _)) = site.certificates.first().cloned() else {
            continue;
        };
        for (rank, (certificate, key)) in site.certificates.iter().enumerate() {
            files.push(FileTarget {
                path: certificate.clone(),
                extra: Extra {
                    names: Some(names.clone()),
                    key: key.clone(),
                    source: Some(source.clone()),
                    // The block's backends are judged once, with its first certificate.
                    proxy_backends: if rank == 0 { site.backends.clone() } else { vec![] },
                    ..Extra::default()
                },
            });
        }
        let alternatives: Vec<PathBuf> = site.certificates.iter().skip(1).map(|(c, _)| c.clone()).collect();
        for &(address, port) in &site.listens {
            let address = address.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
            let host = match names.first() {
                Some(name) => Host::parse(name)?,
                None => Host::Ip(address),
            };
            let mut parsed = target::parse_target(&format!("https://{}/", target::host_port(&host, port)))?;
            for t in &mut parsed {
                t.extra = Extra {
                    names: Some(names.clone()),
                    compare: Some(primary.clone()),
                    compare_alternatives: alternatives.clone(),
                    source: Some(source.clone()),
                    ..Extra::default()
                };
            }
            if let Host::Dns(name) = &host {
                pins.push(ResolvePin {
                    host: name.clone(),
                    port,
                    addresses: vec![address],
                });
            }
            targets.extend(parsed);
        }
    }
    Ok(Discovered {
        files,
        targets,
        pins,
        ..Discovered::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
# comment with { braces } and ; semicolons
http {
    ssl_certificate_key /etc/ssl/default.key;
    server {
        listen 80;
        server_name plain.example.com;
    }
    server {
        listen 443 ssl http2;
        listen [::]:443 ssl;
        listen 8443 ssl;
        server_name wazo.example.com "alt.example.com" _ ~^regex$;
        ssl_certificate /etc/letsencrypt/live/wazo/cert.pem;
        location / { proxy_pass http://127.0.0.1:9497; }
    }
}
server {
    listen 9443;
    ssl on;
    server_name legacy.example.com;
    ssl_certificate '/etc/ssl/legacy.pem';
    ssl_certificate_key /etc/ssl/legacy.key;
}
"#;

    #[test]
    fn tls_server_blocks_with_inherited_keys() {
        let sites = sites(&parse(CONFIG, "default").unwrap());
        assert_eq!(sites.len(), 2);
        assert_eq!(sites[0].listens, [(None, 443), (None, 8443)]);
        assert_eq!(sites[0].names, ["wazo.example.com", "alt.example.com"]);
        assert_eq!(
            sites[0].certificates,
            [(
                PathBuf::from("/etc/letsencrypt/live/wazo/cert.pem"),
                Some(PathBuf::from("/etc/ssl/default.key"))
            )],
            "the key inherited from http"
        );
        assert_eq!(sites[0].place, "default:9");
        assert_eq!(
            (sites[1].listens.as_slice(), sites[1].names[0].as_str()),
            (&[(None, 9443)][..], "legacy.example.com")
        );
        assert_eq!(sites[1].certificates[0].0, PathBuf::from("/etc/ssl/legacy.pem"));
    }

    #[test]
    fn listen_addresses_and_certificate_pairs() {
        assert_eq!(listen_address("443"), Some((None, 443)));
        assert_eq!(listen_address("*:443"), Some((None, 443)));
        assert_eq!(listen_address("0.0.0.0:443"), Some((None, 443)));
        assert_eq!(listen_address("[::]:443"), Some((None, 443)));
        assert_eq!(
            listen_address("127.0.0.2:8443"),
            Some((Some("127.0.0.2".parse().unwrap()), 8443))
        );
        assert_eq!(listen_address("[::1]:443"), Some((Some("::1".parse().unwrap()), 443)));
        assert_eq!(listen_address("unix:/run/nginx.sock"), None);
        let config = "server { listen 443 ssl; ssl_certificate /rsa.pem; ssl_certificate_key /rsa.key; ssl_certificate /ecdsa.pem; ssl_certificate_key /ecdsa.key; }";
        let sites = sites(&parse(config, "dual").unwrap());
        assert_eq!(
            sites[0].certificates,
            [
                (PathBuf::from("/rsa.pem"), Some(PathBuf::from("/rsa.key"))),
                (PathBuf::from("/ecdsa.pem"), Some(PathBuf::from("/ecdsa.key")))
            ]
        );
    }

    #[test]
    fn proxied_local_backends_directly_and_through_upstreams() {
        let config = "http { upstream calld { server 127.0.0.1:9500; server 10.0.0.5:9500; }\n server { listen 443 ssl; ssl_certificate /c.pem;\n location /api/auth/ { proxy_pass http://localhost:9497/; }\n location /api/calld/ { proxy_pass http://calld; }\n location /ext/ { proxy_pass https://api.example.com/; } } }";
        let sites = sites(&parse(config, "wazo").unwrap());
        let ports: Vec<u16> = sites[0].backends.iter().map(|(_, port)| *port).collect();
        assert_eq!(ports, [9497, 9500]);
        assert!(sites[0].backends[1].0.contains("127.0.0.1:9500"));
    }

    #[test]
    fn relative_includes_resolve_against_the_folder_of_nginx_conf() {
        let dir = tempfile::tempdir().unwrap();
        let nginx = dir.path().join("etc/nginx");
        std::fs::create_dir_all(nginx.join("sites-enabled")).unwrap();
        std::fs::write(nginx.join("nginx.conf"), "events {}").unwrap();
        assert_eq!(prefix(&nginx.join("sites-enabled/default")), nginx);
        assert_eq!(prefix(&nginx.join("sites-enabled")), nginx);
    }

    #[test]
    fn syntax_errors_name_the_place() {
        assert!(
            parse("server { listen 443 ssl;", "x.conf")
                .unwrap_err()
                .contains("x.conf")
        );
        assert!(parse("listen 443", "x.conf").unwrap_err().contains("not terminated"));
        assert!(parse("}", "x.conf").unwrap_err().contains("x.conf:1"));
        assert!(
            parse("a \"unterminated;", "x.conf")
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn includes_and_globs_are_followed_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("snippets")).unwrap();
        std::fs::write(root.join("snippets/ssl-a.conf"), "ssl_certificate /a.pem;").unwrap();
        std::fs::write(root.join("snippets/ssl-b.conf"), "ssl_certificate_key /b.key;").unwrap();
        std::fs::write(
            root.join("site"),
            "server { listen 443 ssl; include snippets/ssl-*.conf; }",
        )
        .unwrap();
        let sites = sites(&load(&root.join("site"), root).unwrap());
        assert_eq!(
            sites[0].certificates,
            [(PathBuf::from("/a.pem"), Some(PathBuf::from("/b.key")))]
        );
        std::fs::write(root.join("loop"), "include loop;").unwrap();
        assert!(
            load(&root.join("loop"), root)
                .unwrap_err()
                .to_string()
                .contains("too many")
        );
    }

    #[test]
    fn an_include_pattern_in_an_absent_folder_matches_nothing_and_an_unlistable_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, "http { include absent/*.conf; }\n").unwrap();
        assert!(load(&conf, dir.path()).is_ok());
        std::fs::write(dir.path().join("notafolder"), "").unwrap();
        std::fs::write(&conf, "http { include notafolder/*.conf; }\n").unwrap();
        assert!(matches!(load(&conf, dir.path()), Err(ConfigError::List(_))));
    }
}
