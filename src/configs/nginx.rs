//! nginx configuration: a tokenizer and parser for its directive syntax, `include` (with `*`
//! globs), and the TLS `server` blocks it defines (listen ports, server names, certificate and key).

use std::path::{Path, PathBuf};

use super::ConfiguredTargets;
use crate::target::{self, Extra, FileTarget, Host, ResolvePin};

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

/// Files matching a path whose last component may hold `*`.
fn expand_glob(pattern: &Path) -> Vec<PathBuf> {
    let name = pattern
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains('*') {
        return vec![pattern.to_path_buf()];
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
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| matches(&e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Limits on what a configuration may pull in.
const MAX_FILES: usize = 256;
const MAX_DEPTH: usize = 8;

/// Loads a configuration file, or every file of a folder (like sites-enabled), with `include`s
/// replaced by the directives of the files they name. Relative includes are resolved against
/// `root` (nginx's configuration folder).
pub fn load(path: &Path, root: &Path) -> Result<Vec<Directive>, String> {
    let mut budget = MAX_FILES;
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut all = Vec::new();
    for file in files {
        all.extend(load_file(&file, root, 0, &mut budget)?);
    }
    Ok(all)
}

fn load_file(path: &Path, root: &Path, depth: usize, budget: &mut usize) -> Result<Vec<Directive>, String> {
    if depth > MAX_DEPTH || *budget == 0 {
        return Err(format!("{}: too many nested or included files", path.display()));
    }
    *budget -= 1;
    let bytes = crate::probe::file::read_bounded(path)?;
    let directives = parse(&String::from_utf8_lossy(&bytes), &path.display().to_string())?;
    resolve_includes(directives, root, depth, budget)
}

fn resolve_includes(
    directives: Vec<Directive>,
    root: &Path,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    for mut directive in directives {
        if directive.name == "include" && directive.block.is_none() {
            for pattern in &directive.args {
                let pattern = if Path::new(pattern).is_absolute() {
                    PathBuf::from(pattern)
                } else {
                    root.join(pattern)
                };
                for file in expand_glob(&pattern) {
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
    pub ports: Vec<u16>,
    pub names: Vec<String>,
    pub certificate: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

fn value<'a>(block: &'a [Directive], name: &str) -> Option<&'a str> {
    block
        .iter()
        .rev()
        .find(|d| d.name == name)
        .and_then(|d| d.args.first())
        .map(String::as_str)
}

/// The port of a `listen` argument: `443`, `*:443`, `0.0.0.0:443`, `[::]:443`.
fn listen_port(arg: &str) -> Option<u16> {
    let port = match arg.rsplit_once(':') {
        Some((_, port)) => port,
        None => arg,
    };
    port.parse().ok()
}

/// Every `server` block that serves TLS or names a certificate, with certificate and key
/// inherited from the enclosing `http` block as nginx does.
pub fn sites(directives: &[Directive]) -> Vec<Site> {
    let mut found = Vec::new();
    collect(directives, None, None, &mut found);
    found
}

fn collect(block: &[Directive], certificate: Option<&str>, key: Option<&str>, found: &mut Vec<Site>) {
    let certificate = value(block, "ssl_certificate").or(certificate);
    let key = value(block, "ssl_certificate_key").or(key);
    for directive in block {
        let Some(inner) = &directive.block else { continue };
        if directive.name != "server" {
            if directive.name == "http" {
                collect(inner, certificate, key, found);
            }
            continue;
        }
        let ssl_everywhere = value(inner, "ssl") == Some("on");
        let ports: Vec<u16> = inner
            .iter()
            .filter(|d| d.name == "listen")
            .filter(|d| ssl_everywhere || d.args.iter().any(|a| a == "ssl"))
            .filter_map(|d| d.args.first().and_then(|a| listen_port(a)))
            .fold(Vec::new(), |mut ports, p| {
                if !ports.contains(&p) {
                    ports.push(p);
                }
                ports
            });
        let site_certificate = value(inner, "ssl_certificate").or(certificate);
        if ports.is_empty() && value(inner, "ssl_certificate").is_none() {
            continue;
        }
        let names = inner
            .iter()
            .filter(|d| d.name == "server_name")
            .flat_map(|d| d.args.iter())
            .filter(|n| !n.is_empty() && *n != "_" && !n.starts_with('~') && !n.starts_with('.') && !n.contains('$'))
            .cloned()
            .collect();
        found.push(Site {
            place: directive.place.clone(),
            ports,
            names,
            certificate: site_certificate.map(PathBuf::from),
            key: value(inner, "ssl_certificate_key").or(key).map(PathBuf::from),
        });
    }
}

/// The targets an nginx configuration defines: per TLS server block, its certificate file (with
/// its key and server names) and each TLS port on this machine, which should serve that file.
pub fn targets(path: &Path) -> Result<ConfiguredTargets, String> {
    // Relative includes resolve against nginx's folder: the parent of sites-enabled, or the
    // folder of nginx.conf.
    let root = path.parent().unwrap_or(path);
    let directives = load(path, root)?;
    let (mut files, mut targets, mut pins) = (Vec::new(), Vec::new(), Vec::new());
    for site in sites(&directives) {
        let source = format!("nginx {}", site.place);
        let names: Vec<String> = site.names.iter().filter(|n| !n.contains('*')).cloned().collect();
        let Some(certificate) = site.certificate.clone() else {
            continue;
        };
        files.push(FileTarget {
            path: certificate.clone(),
            extra: Extra {
                names: Some(names.clone()),
                key: site.key.clone(),
                source: Some(source.clone()),
                ..Extra::default()
            },
        });
        let host = match names.first() {
            Some(name) => Host::parse(name)?,
            None => Host::Ip(std::net::Ipv4Addr::LOCALHOST.into()),
        };
        for &port in &site.ports {
            let mut parsed = target::parse_target(&format!("https://{}/", target::host_port(&host, port)))?;
            for t in &mut parsed {
                t.extra = Extra {
                    names: Some(names.clone()),
                    compare: Some(certificate.clone()),
                    source: Some(source.clone()),
                    ..Extra::default()
                };
            }
            if let Host::Dns(name) = &host {
                pins.push(ResolvePin {
                    host: name.clone(),
                    port,
                    addresses: vec![std::net::Ipv4Addr::LOCALHOST.into()],
                });
            }
            targets.extend(parsed);
        }
    }
    Ok(ConfiguredTargets { files, targets, pins })
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
        assert_eq!(sites[0].ports, [443, 8443]);
        assert_eq!(sites[0].names, ["wazo.example.com", "alt.example.com"]);
        assert_eq!(
            sites[0].certificate.as_deref(),
            Some(Path::new("/etc/letsencrypt/live/wazo/cert.pem"))
        );
        assert_eq!(
            sites[0].key.as_deref(),
            Some(Path::new("/etc/ssl/default.key")),
            "inherited from http"
        );
        assert_eq!(sites[0].place, "default:9");
        assert_eq!(
            (sites[1].ports.as_slice(), sites[1].names[0].as_str()),
            (&[9443][..], "legacy.example.com")
        );
        assert_eq!(sites[1].certificate.as_deref(), Some(Path::new("/etc/ssl/legacy.pem")));
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
        assert_eq!(sites[0].certificate.as_deref(), Some(Path::new("/a.pem")));
        assert_eq!(sites[0].key.as_deref(), Some(Path::new("/b.key")));
        std::fs::write(root.join("loop"), "include loop;").unwrap();
        assert!(load(&root.join("loop"), root).unwrap_err().contains("too many"));
    }
}
