//! Kazoo's Monster UI configuration (`js/config.js`), read with a JavaScript tokenizer (ress) so
//! that comments, help links and quotes inside strings are what they are: the API URLs are the
//! string values directly under the `api` object (`default`, `socket`, `phonebook`, ...), which
//! the browser calls and which must be HTTPS to a port that serves a valid certificate.

use std::path::Path;

use ress::prelude::*;

use certscan_checks::{Check, Enriched, PlatformRules, Policy, TargetResult};
use certscan_model::target::{self, Extra};

/// Where Monster UI is installed, under the configuration root: in one of these, not both.
const MONSTER_UI_CONFIGS: &[&str] = &[
    "var/www/html/monster-ui/js/config.js",
    "var/www/monster-ui/js/config.js",
];

/// Kazoo: Monster UI's API URLs are endpoints to check, and certificate fixes name crossbar's
/// settings.
#[derive(Debug)]
pub(crate) struct Kazoo;

impl PlatformRules for Kazoo {
    fn rewordings(&self) -> &'static [Check] {
        &[reword]
    }
}

impl super::Platform for Kazoo {
    /// Monster UI's configuration under the root `place`: its HTTPS API URLs are scanned, the
    /// others are findings.
    fn discover(&self, place: &Path) -> Result<super::Discovered, super::ConfigError> {
        let mut discovered = super::Discovered::default();
        for candidate in MONSTER_UI_CONFIGS {
            let path = place.join(candidate);
            let bytes = match certscan_probe::file::read_bounded(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e.into()),
            };
            let urls = api_urls(&String::from_utf8_lossy(&bytes)).map_err(|e| format!("{}: {e}", path.display()))?;
            for url in urls {
                let source = Some(format!("kazoo {}", path.display()));
                match target::parse_target(&url) {
                    Ok(mut parsed) => {
                        for t in &mut parsed {
                            t.extra = Extra {
                                source: source.clone(),
                                ..Extra::default()
                            };
                        }
                        discovered.targets.extend(parsed);
                    }
                    Err(_) => discovered.insecure_urls.push((path.clone(), url)),
                }
            }
        }
        Ok(discovered)
    }

    fn reload_command(&self) -> Option<&'static str> {
        Some(
            "sup kapps_controller restart_app crossbar (Kazoo 4; on Kazoo 3: sup whapps_controller restart_app crossbar)",
        )
    }
}

/// Where crossbar's certificate is configured and how it is reloaded.
fn reword(_: &Enriched, _: &Policy, result: &mut TargetResult) {
    super::fix_certificate_findings(
        "Give crossbar (Kazoo's API, port 8443) a certificate from a CA with its full chain: the PEM files its crossbar SSL settings name (ssl_cert, ssl_key, and the CA chain), then sup kapps_controller restart_app crossbar (Kazoo 4; sup whapps_controller on 3.x).",
        &mut result.findings,
    );
}

/// Most tokens read from one file.
const MAX_TOKENS: usize = 200_000;

/// The value of each `api.KEY` setting that is a URL, in file order, each once; or why the file
/// could not be read as JavaScript.
pub(crate) fn api_urls(text: &str) -> Result<Vec<String>, String> {
    // The keys of the objects the scanner is inside, outermost first.
    let mut path: Vec<String> = Vec::new();
    let mut pending_key: Option<String> = None;
    let mut last_key: Option<String> = None;
    let mut urls: Vec<String> = Vec::new();
    for (count, item) in Scanner::new(text).enumerate() {
        if count > MAX_TOKENS {
            return Err(format!("more than {MAX_TOKENS} tokens"));
        }
        let item = item.map_err(|e| format!("not JavaScript: {e}"))?;
        let token = item.token;
        match &token {
            Token::EoF => break,
            Token::Comment(_) => continue,
            Token::Punct(Punct::Colon) => {
                pending_key = last_key.take();
                continue;
            }
            Token::Punct(Punct::OpenBrace) => path.push(pending_key.take().unwrap_or_default()),
            Token::Punct(Punct::CloseBrace) => {
                path.pop();
                pending_key = None;
            }
            Token::Punct(Punct::Comma) => pending_key = None,
            Token::String(value) if pending_key.is_some() => {
                let value = match value {
                    StringLit::Single(inner) | StringLit::Double(inner) => inner.content.to_string(),
                };
                let in_api = path.last().is_some_and(|object| object == "api");
                let url = ["http://", "https://", "ws://", "wss://"]
                    .iter()
                    .any(|s| value.starts_with(s));
                if in_api && url && !urls.contains(&value) {
                    urls.push(value);
                }
                pending_key = None;
            }
            _ => {}
        }
        last_key = match &token {
            Token::Ident(name) => Some(name.as_ref().to_string()),
            Token::Keyword(keyword) => Some(keyword.as_str().to_string()),
            Token::String(StringLit::Single(inner) | StringLit::Double(inner)) => Some(inner.content.to_string()),
            _ => None,
        };
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_settings_count_and_comments_do_not() {
        let text = r#"define(function(require) {
	// Don't forget: the API URL below is what browsers call.
	return {
		api: {
			// 'default' is the URL users log in with
			default: 'https://kazoo.example.com:8443/v2/',
			socket: "wss://kazoo.example.com:5065"
		},
		whitelabel: {
			companyName: 'Example',
			logoutUrl: 'http://help.example.com/logout',
			nav: { help: 'http://help.example.com/' }
		}
	};
});
"#;
        assert_eq!(
            api_urls(text).unwrap(),
            ["https://kazoo.example.com:8443/v2/", "wss://kazoo.example.com:5065"]
        );
        assert!(api_urls("define({ api: { default: 'unterminated }").is_err());
    }
}
