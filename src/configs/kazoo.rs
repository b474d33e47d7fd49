//! Kazoo's Monster UI configuration (`js/config.js`): the API URLs the browser calls, which must
//! be HTTPS to a port that serves a valid certificate.

/// Every `http://` or `https://` URL written in quotes in the file, in order.
pub fn api_urls(text: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for quote in ['\'', '"', '`'] {
        for piece in text.split(quote).skip(1).step_by(2) {
            if (piece.starts_with("http://") || piece.starts_with("https://")) && !urls.contains(&piece.to_string()) {
                urls.push(piece.to_string());
            }
        }
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_quotes_are_found() {
        let text = "define({\n  api: {\n    default: 'http://kazoo.example.com:8000/v2/',\n    socket: \"wss://kazoo.example.com:5065\"\n  },\n  whitelabel: { logoutUrl: \"https://kazoo.example.com/\" }\n});\n";
        assert_eq!(
            api_urls(text),
            ["http://kazoo.example.com:8000/v2/", "https://kazoo.example.com/"]
        );
    }
}
