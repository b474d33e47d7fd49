//! The command line itself: usage errors, --explain, targets files, output files, and the
//! README's check reference staying in step with the catalog.

mod common;

use common::*;

#[test]
fn usage_errors_exit_3_and_name_the_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt").display().to_string();
    for (args, expected) in [
        (vec![], "nothing to scan"),
        (vec!["host:99999"], "\"99999\" is not a port"),
        (vec!["http://example.test"], "not encrypted"),
        (vec!["--bogus-flag", "example.test"], "--bogus-flag"),
        (vec!["-f", missing.as_str()], "cannot read targets file"),
        (vec!["example.test", "--at", "yesterday"], "--at \"yesterday\""),
        (vec!["example.test", "--name", "bad name"], "--name \"bad name\""),
        (vec!["example.test", "--resolve", "example.test:443"], "--resolve"),
        (vec!["example.test", "--timeout", "0"], "--timeout"),
        (
            vec!["example.test", "-w", "5", "-c", "10"],
            "--warning (5) must be at least --critical (10)",
        ),
        (vec!["example.test", "--ca-file", missing.as_str()], "--ca-file"),
        (vec!["--explain", "no.such_check"], "no check is called"),
        (
            vec!["example.test", "--clients", "openssl,netscape"],
            "--clients: unknown client family \"netscape\"",
        ),
    ] {
        let out = certscan(&args);
        assert_eq!(out.code, 3, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?} printed a report: {}", out.stdout);
    }
}

#[test]
fn version_and_help_exit_0() {
    let out = certscan(&["-V"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.trim(), format!("certscan {}", env!("CARGO_PKG_VERSION")));
    let out = certscan(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("--ca-file") && out.stdout.contains("Exit status"));
}

#[test]
fn explain_prints_the_catalog_entry() {
    let out = certscan(&["--explain", "chain.incomplete"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("chain.incomplete: "));
    assert!(out.stdout.contains("fullchain.pem") && out.stdout.contains("openssl s_client"));
    let out = certscan(&["--list-checks"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout.lines().count(), certscan_model::finding::CheckId::ALL.len());
}

#[test]
fn targets_file_and_stdin_combine_with_positional_targets_and_dedupe() {
    let servers = Servers::new();
    let closed = servers.closed_port();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("targets.txt");
    std::fs::write(&list, format!("# comment\n\n127.0.0.1:{closed}  # again\n")).unwrap();
    let list = list.display().to_string();
    let target = format!("127.0.0.1:{closed}");
    let doc = scan_json(&["-f", &list, &target]);
    assert_eq!(
        doc["targets"].as_array().unwrap().len(),
        1,
        "duplicates are scanned once"
    );
    assert_eq!(ids(&doc, 0), ["connection.refused"]);

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_certscan"))
        .args(["-f", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{target}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["targets"][0]["input"], target);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn output_file_holds_the_report() {
    let servers = Servers::new();
    let target = format!("127.0.0.1:{}", servers.closed_port());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json").display().to_string();
    let out = certscan(&[&target, "--format", "json", "-o", &path]);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["status"], "critical");

    // A symbolic link at the output path is replaced by the report, never followed.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let link = link.display().to_string();
    let out = certscan(&[&target, "--format", "json", "-o", &link]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_file(), "the link was followed");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&link).unwrap()).unwrap();
    assert_eq!(doc["status"], "critical");
    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The check reference in README.md, generated from the catalog.
fn check_reference() -> String {
    let mut text = String::from("| Check id | Default severity | Meaning |\n|---|---|---|\n");
    for entry in certscan_model::catalog::entries() {
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            entry.id,
            entry.severity.as_str(),
            entry.title
        ));
    }
    text
}

#[test]
fn readme_first_command_reports_what_readme_says() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("cargo run --release -- "))
        .expect("README's first command");
    let args: Vec<&str> = line["cargo run --release -- ".len()..]
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let said = &readme[readme.find("it reports").unwrap()..];
    let said = &said[..said.find("and exits").unwrap()];
    let named: Vec<&str> = said.split('`').skip(1).step_by(2).collect();
    assert!(!named.is_empty(), "{said}");
    let mut with_json = args.clone();
    with_json.extend(["--format", "json"]);
    let out = certscan(&with_json);
    assert_eq!(out.code, 2, "README says it exits 2: {}", out.stdout);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        ids(&doc, 0),
        sorted(&named),
        "README names every finding of its first command"
    );
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn readme_check_reference_matches_the_catalog() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- checks:begin -->\n", "<!-- checks:end -->");
    let from = readme.find(start).expect("README has a checks:begin marker") + start.len();
    let to = readme.find(end).expect("README has a checks:end marker");
    let expected = check_reference();
    if readme[from..to] != expected && std::env::var_os("CERTSCAN_BLESS").is_some() {
        std::fs::write(path, format!("{}{expected}{}", &readme[..from], &readme[to..])).unwrap();
        return;
    }
    assert_eq!(
        readme[from..to],
        expected,
        "README's check reference is stale: rerun with CERTSCAN_BLESS=1"
    );
}

#[test]
fn nagios_usage_errors_are_reported_on_standard_output() {
    for args in [
        vec!["--format", "nagios", "host:99999"],
        vec!["--format", "nagios", "--bogus"],
    ] {
        let out = certscan(&args);
        assert_eq!(out.code, 3, "{args:?}");
        assert!(
            out.stdout.starts_with("CERTSCAN UNKNOWN - "),
            "{args:?}: {}",
            out.stdout
        );
        assert_eq!(out.stdout.lines().count(), 1);
    }
}

#[test]
fn json_usage_errors_are_a_json_object_on_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt").display().to_string();
    for (args, expected) in [
        (vec!["host:99999"], "\"99999\" is not a port"),
        (vec!["--bogus"], "--bogus"),
        (vec!["-f", missing.as_str()], "cannot read targets file"),
        (vec!["--at", "yesterday", "host"], "--at \"yesterday\""),
    ] {
        for format in ["json", "ndjson"] {
            let mut all = vec!["--format", format];
            all.extend(&args);
            let out = certscan(&all);
            assert_eq!(out.code, 3, "{all:?}");
            let lines: Vec<&str> = out.stdout.lines().collect();
            let value: serde_json::Value = if format == "ndjson" {
                assert_eq!(lines.len(), 1, "{}", out.stdout);
                serde_json::from_str(lines[0]).unwrap()
            } else {
                serde_json::from_str(&out.stdout).unwrap()
            };
            assert_matches_schema("usage_error", &value);
            assert!(
                value["error"].as_str().unwrap().contains(expected),
                "{all:?}: {value:#}"
            );
            assert_eq!(value.get("record").is_some(), format == "ndjson");
        }
    }
    // The table says it on standard error only.
    let out = certscan(&["host:99999"]);
    assert!(out.stdout.is_empty() && out.stderr.contains("is not a port"));
}

/// Every long flag `certscan --help` lists.
fn long_flags_in_help() -> Vec<String> {
    let help = certscan(&["--help"]).stdout;
    let mut flags: Vec<String> = help
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.starts_with("--") && w[2..].starts_with(|c: char| c.is_ascii_lowercase()))
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()).to_string())
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn the_manual_page_and_completions_follow_the_command_line() {
    let flags = long_flags_in_help();
    assert!(flags.len() > 40, "{flags:?}");
    let man = certscan(&["--man"]);
    assert_eq!(man.code, 0);
    let page = man.stdout.replace("\\-", "-");
    assert!(
        page.starts_with(".ie") && page.contains(".TH certscan 1"),
        "{}",
        &page[..200]
    );
    // The usual sections, not clap's EXTRA.
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        ".SH \"EXIT STATUS\"",
        ".SH EXAMPLES",
    ] {
        assert!(page.contains(section), "no {section} in the page");
    }
    assert!(!page.contains(".SH EXTRA"));
    // Rendered at a narrow width, each example command stays whole: no fill, no hyphenation.
    let rendered = std::process::Command::new("sh")
        .arg("-c")
        .arg("MANWIDTH=60 groff -man -Tutf8 -rLL=60n 2>/dev/null | col -b")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut groff| {
            use std::io::Write;
            groff.stdin.take().unwrap().write_all(man.stdout.as_bytes())?;
            groff.wait_with_output()
        });
    match rendered {
        Ok(out) if !out.stdout.is_empty() => {
            let text = String::from_utf8_lossy(&out.stdout);
            for command in [
                "certscan --file /usr/share/xivo-certs/server.crt --name wazo.example.com",
                "certscan serve --listen 127.0.0.1:9784 --config /etc/certscan/exporter.toml",
            ] {
                assert!(text.contains(command), "{command} is not whole in:\n{text}");
            }
            assert!(text.contains("EXIT STATUS") && text.contains("EXAMPLES"), "{text}");
        }
        _ => eprintln!("skipped: groff is not installed, the page was not rendered"),
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = certscan(&["--completions", shell]);
        assert_eq!(out.code, 0, "{shell}");
        for flag in &flags {
            let expected = if shell == "fish" {
                format!("-l {}", &flag[2..])
            } else {
                flag.clone()
            };
            assert!(out.stdout.contains(&expected), "{shell} completion lacks {flag}");
        }
        // --profile completes the built-in profiles' names (files are accepted as well).
        for name in ["wazo", "kazoo", "kurento"] {
            assert!(out.stdout.contains(name), "{shell} completion lacks the profile {name}");
        }
    }
    for flag in &flags {
        assert!(page.contains(flag.as_str()), "the manual page lacks {flag}");
    }
    // The page is valid roff, when groff is here to say so.
    if std::path::Path::new("/usr/bin/groff").exists() {
        let mut groff = std::process::Command::new("/usr/bin/groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        groff.stdin.take().unwrap().write_all(man.stdout.as_bytes()).unwrap();
        let checked = groff.wait_with_output().unwrap();
        assert!(checked.status.success());
        assert_eq!(String::from_utf8_lossy(&checked.stderr), "", "groff warnings");
    } else {
        eprintln!("skipped: groff is not installed, the manual page was not rendered");
    }
}

#[test]
fn the_check_list_in_json_is_the_catalog() {
    let out = certscan(&["--list-checks", "--format", "json"]);
    assert_eq!(out.code, 0);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let entries = list.as_array().unwrap();
    assert_eq!(entries.len(), certscan_model::finding::CheckId::ALL.len());
    for entry in entries {
        assert_matches_schema("check", entry);
    }
    let incomplete = entries.iter().find(|e| e["id"] == "chain.incomplete").unwrap();
    assert_eq!(incomplete["severity"], "critical");
    assert!(incomplete["manual"].as_str().unwrap().contains("openssl s_client"));
    let out = certscan(&["--list-checks", "--format", "ndjson"]);
    assert_eq!(out.stdout.lines().count(), entries.len());
}

#[test]
fn shards_split_a_target_list_without_overlap_and_inputs_are_per_endpoint() {
    // Twelve distinct ports where nothing listens: bound together, then released.
    let held: Vec<std::net::TcpListener> = (0..12)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = held.iter().map(|l| l.local_addr().unwrap().port()).collect();
    drop(held);
    let list: String = ports
        .chunks(3)
        .map(|c| format!("127.0.0.1:{},{},{}\n", c[0], c[1], c[2]))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("targets.txt");
    std::fs::write(&file, list).unwrap();
    let file = file.display().to_string();
    let inputs = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["-f", file.as_str(), "--format", "json", "--timeout", "2"];
        args.extend(extra);
        let out = certscan(&args);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        doc["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["input"].as_str().unwrap().to_string())
            .collect()
    };
    let mut all = inputs(&[]);
    assert_eq!(all.len(), 12);
    // Each endpoint of a port list carries its own port, not the whole line.
    assert!(all.iter().all(|i| i.matches(',').count() == 0), "{all:?}");
    all.sort();
    let mut union = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        union.extend(inputs(&["--shard", &shard]));
    }
    union.sort();
    assert_eq!(union, all, "the shards together are the list, each target once");
    assert!(
        certscan(&["-f", &file, "--shard", "4/3"])
            .stderr
            .contains("K must be between 1 and N")
    );
}

#[test]
fn an_empty_list_is_nothing_to_scan_but_an_empty_slice_of_a_list_is_ok() {
    let servers = Servers::new();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "# nothing yet\n\n").unwrap();
    let out = certscan(&["-f", &empty.display().to_string(), "--format", "ndjson"]);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("nothing to scan"), "{}", out.stderr);
    let error: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_matches_schema("ndjson_line", &error);
    assert_eq!(error["record"], "error");

    let one = dir.path().join("one.txt");
    std::fs::write(&one, format!("127.0.0.1:{}\n", servers.closed_port())).unwrap();
    let one = one.display().to_string();
    let mut scanned = 0;
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = certscan(&["-f", &one, "--shard", &shard, "--format", "ndjson"]);
        let lines = ndjson_lines(&out.stdout);
        let summary = lines.last().unwrap();
        if lines.len() == 1 {
            assert_eq!(
                (out.code, summary["status"].as_str()),
                (0, Some("ok")),
                "{}",
                out.stdout
            );
        } else {
            scanned += 1;
            assert_eq!(out.code, 2, "the refused endpoint: {}", out.stdout);
        }
    }
    assert_eq!(scanned, 1, "the one target is in exactly one slice");
}

#[test]
fn fail_on_and_ignore_gate_ci_without_hiding_what_they_did() {
    let pki = Pki::new();
    // A leaf stored without its intermediate (critical) and expiring in 20 days (warning).
    let leaf = pki.leaf(&LeafSpec::new(&["a.example.test"]).validity(-200, 20));
    let file = pki.chain_file("leaf.pem", &[&leaf]);
    let root = pki.root_file();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--file",
            file.as_str(),
            "--name",
            "a.example.test",
            "--trust",
            "none",
            "--ca-file",
            &root,
        ];
        args.extend(extra);
        scan_json(&args)
    };
    let doc = run(&[]);
    assert_eq!(
        (doc["status"].as_str(), doc["exit_code"].as_u64()),
        (Some("critical"), Some(2))
    );
    // Accepting the missing intermediate leaves the expiry warning.
    let doc = run(&["--ignore", "chain.incomplete"]);
    assert_eq!(ids(&doc, 0), ["cert.expires_soon"]);
    assert_eq!(doc["targets"][0]["ignored"], serde_json::json!(["chain.incomplete"]));
    assert_eq!(doc["exit_code"], 1);
    // ... and --fail-on critical lets the warning pass the gate, saying so.
    let doc = run(&["--ignore", "chain.incomplete", "--fail-on", "critical"]);
    assert_eq!(
        (doc["status"].as_str(), doc["exit_code"].as_u64()),
        (Some("warning"), Some(0))
    );
    assert_eq!(doc["gate"]["fail_on"], "critical");
    let table = certscan(&[
        "--file",
        &file,
        "--name",
        "a.example.test",
        "--trust",
        "none",
        "--ca-file",
        &root,
        "--at",
        AT,
        "--ignore",
        "chain.incomplete",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(table.code, 0);
    // The summary: the last paragraph, wrapped to the width.
    let last = table
        .stdout
        .trim_end()
        .rsplit("\n\n")
        .next()
        .unwrap()
        .replace("\n  ", " ");
    assert!(
        last.contains("fail-on critical") && last.contains("1 finding(s) ignored by --ignore chain.incomplete"),
        "{last}"
    );
    // A rule for another host ignores nothing here; an unknown id is a usage error.
    let doc = run(&["--ignore", "chain.incomplete@b.example.test"]);
    assert!(ids(&doc, 0).contains(&"chain.incomplete".to_string()));
    assert_eq!(certscan(&["--file", &file, "--ignore", "no.such_check"]).code, 3);
}

#[test]
fn color_always_and_never_override_the_terminal_test() {
    let target = format!("127.0.0.1:{}", Servers::new().closed_port());
    let always = certscan(&[&target, "--color", "always"]);
    assert!(always.stdout.contains("\u{1b}["), "{}", always.stdout);
    let never = certscan(&[&target, "--color", "never"]);
    assert!(!never.stdout.contains('\u{1b}'), "{}", never.stdout);
    // Off a terminal, auto (the default) colours nothing.
    assert!(!certscan(&[&target]).stdout.contains('\u{1b}'));
}

/// Two endpoints of 127.0.0.1: one serving a certificate that expires in 20 days (WARNING),
/// one refusing connections (CRITICAL); their ports and the arguments that scan both.
fn expiring_and_refused(pki: &Pki, servers: &Servers) -> (u16, u16, Vec<String>) {
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1", "pbx.example.test"]).validity(-200, 20));
    let good = serve_leaf_and_intermediate(servers, pki, &leaf);
    let closed = servers.closed_port();
    let mut args: Vec<String> = vec![format!("127.0.0.1:{good},{closed}"), "--at".into(), AT.into()];
    args.extend(pki.trust_args());
    (good, closed, args)
}

#[test]
fn prometheus_metrics_say_what_the_json_report_says() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (good, closed, args) = expiring_and_refused(&pki, &servers);
    let run = |format: &str| {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--format", format]);
        certscan(&all)
    };
    let metrics = run("prometheus");
    let doc: serde_json::Value = serde_json::from_str(&run("json").stdout).unwrap();
    assert_eq!(metrics.code, 2, "the refused port");
    let text = metrics.stdout;
    // Every sample: NAME{LABELS} VALUE, under its HELP and TYPE.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
        let name = series.split('{').next().unwrap();
        assert!(text.contains(&format!("# TYPE {name} gauge\n")), "{name}");
    }
    let sample = |name: &str, port: u16| -> f64 {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{")) && l.contains(&format!("port=\"{port}\"")))
            .unwrap_or_else(|| panic!("no {name} for port {port}:\n{text}"))
            .rsplit_once(' ')
            .unwrap()
            .1
            .parse()
            .unwrap()
    };
    assert_eq!(
        sample("certscan_endpoint_status", good),
        1.0,
        "expires in 20 days: WARNING"
    );
    assert_eq!(sample("certscan_endpoint_status", closed), 2.0);
    let target = doc["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["port"] == good)
        .unwrap();
    let not_after = time::OffsetDateTime::parse(
        target["chain"][0]["not_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp() as f64;
    assert_eq!(sample("certscan_certificate_expiry_timestamp_seconds", good), not_after);
    assert_eq!(sample("certscan_endpoint_expiry_timestamp_seconds", good), not_after);
    assert!(
        text.contains("check=\"cert.expires_soon\",severity=\"warning\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("check=\"connection.refused\",severity=\"critical\"} 1"),
        "{text}"
    );
    // What ssl_exporter and blackbox_exporter users alert on: reached, TLS version, the
    // chain's descriptions and notBefore, the fetched revocation answers.
    assert_eq!(sample("certscan_endpoint_reached", good), 1.0);
    assert_eq!(sample("certscan_endpoint_reached", closed), 0.0);
    assert_eq!(sample("certscan_tls_version_info", good), 1.0);
    let version = target["tls"]["version"].as_str().unwrap();
    assert!(text.contains(&format!("version=\"{version}\"")), "{text}");
    let not_before = time::OffsetDateTime::parse(
        target["chain"][0]["not_before"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp() as f64;
    assert_eq!(
        sample("certscan_certificate_not_before_timestamp_seconds", good),
        not_before
    );
    let leaf_info = text
        .lines()
        .find(|l| {
            l.starts_with("certscan_certificate_info{")
                && l.contains(&format!("port=\"{good}\""))
                && l.contains("position=\"0\"")
        })
        .unwrap();
    let serial = target["chain"][0]["serial"].as_str().unwrap();
    assert!(leaf_info.contains(&format!("serial=\"{serial}\"")), "{leaf_info}");
    assert!(leaf_info.contains(",pbx.example.test,"), "{leaf_info}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("certscan_tls_version_info{") && l.contains(&format!("port=\"{closed}\""))),
        "no TLS version for a refused port"
    );
    assert!(text.contains("certscan_run_status 2\n"));
    assert!(text.contains("certscan_run_endpoints{status=\"warning\"} 1\n"));
    // promtool, when installed, accepts it as node_exporter's textfile collector would.
    if std::path::Path::new("/usr/bin/promtool").exists() {
        let mut promtool = std::process::Command::new("/usr/bin/promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        promtool.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let checked = promtool.wait_with_output().unwrap();
        assert!(
            checked.status.success(),
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    } else {
        eprintln!("skipped: promtool is not installed (Debian package prometheus)");
    }
}

/// Validates one JUnit suite against the JUnit schema that Jenkins' xUnit plugin and pytest use
/// (junit-10.xsd, from pytest's source package; `.ci/run` fetches it into target/junit-schema),
/// with xmllint or Python's xmlschema, whichever is there. False when neither could run.
fn validate_junit_suite(suite: &str) -> bool {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/junit-schema");
    let schema = dir.join("junit-10.xsd");
    if !schema.exists() {
        eprintln!("skipped: no JUnit schema at {} (.ci/run fetches it)", schema.display());
        return false;
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{suite}"),
    )
    .unwrap();
    let python = dir.join("venv/bin/python");
    let output = if std::path::Path::new("/usr/bin/xmllint").exists() {
        std::process::Command::new("/usr/bin/xmllint")
            .args(["--noout", "--schema"])
            .arg(&schema)
            .arg(file.path())
            .output()
            .unwrap()
    } else if python.exists() {
        std::process::Command::new(&python)
            .args([
                "-c",
                "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
            ])
            .arg(&schema)
            .arg(file.path())
            .output()
            .unwrap()
    } else {
        eprintln!("skipped: neither xmllint (Debian libxml2-utils) nor xmlschema (PyPI) is installed");
        return false;
    };
    assert!(
        output.status.success(),
        "the suite breaks the JUnit schema: {}\n{suite}",
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

#[test]
fn junit_has_a_suite_per_endpoint_and_a_case_per_finding() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let (good, closed, args) = expiring_and_refused(&pki, &servers);
    let run = |extra: &[&str]| {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--format", "junit"]);
        all.extend(extra);
        certscan(&all)
    };
    let out = run(&[]);
    assert_eq!(out.code, 2);
    let xml = out.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"certscan\""));
    let suites: Vec<&str> = xml
        .split("  <testsuite ")
        .skip(1)
        .map(|rest| rest.split("</testsuite>").next().unwrap())
        .collect();
    assert_eq!(suites.len(), 2, "{xml}");
    let expiring = suites.iter().find(|s| s.contains(&format!(":{good}\""))).unwrap();
    assert!(
        expiring.contains("name=\"cert.expires_soon\"><failure type=\"warning\""),
        "{expiring}"
    );
    assert!(expiring.contains("certscan --explain cert.expires_soon"));
    let refused = suites.iter().find(|s| s.contains(&format!(":{closed}\""))).unwrap();
    assert!(
        refused.contains("name=\"connection.refused\"><failure type=\"critical\""),
        "{refused}"
    );
    // One failure per broken endpoint: its finding's case; the verdict case says so and passes.
    assert!(
        xml.contains("<testsuites name=\"certscan\" tests=\"4\" failures=\"2\" errors=\"0\""),
        "{xml}"
    );
    assert!(refused.contains("name=\"verdict\"><system-out>"), "{refused}");
    // Jenkins reads the class after the classname's last dot: the endpoint keeps its dots out.
    let classname = expiring
        .split("classname=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        classname.starts_with("certscan.") && !classname["certscan.".len()..].contains('.'),
        "{classname}"
    );
    let mut validated = 0;
    for suite in &suites {
        validated += validate_junit_suite(&format!("  <testsuite {suite}</testsuite>\n")) as usize;
    }
    assert!(validated == 0 || validated == suites.len());

    // Under --fail-on critical the warning passes, with its detail kept in the output.
    let out = run(&["--fail-on", "critical"]);
    assert!(
        out.stdout.contains("name=\"cert.expires_soon\"><system-out>warning: "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("tests=\"4\" failures=\"1\""), "{}", out.stdout);

    // A usage error is a suite in error.
    let out = certscan(&["--format", "junit", "host:99999"]);
    assert_eq!(out.code, 3);
    assert!(
        out.stdout
            .contains("<error type=\"usage\" message=\"target &quot;host:99999&quot;"),
        "{}",
        out.stdout
    );
    let suite = out.stdout.split("<testsuites").nth(1).unwrap();
    let suite = &suite[suite.find("  <testsuite ").unwrap()..suite.find("</testsuites>").unwrap()];
    validate_junit_suite(suite);
}

#[test]
fn the_table_fits_the_width_and_never_splits_a_path_or_a_command() {
    let pki = Pki::new();
    // A leaf stored without its intermediate: the fix names the file, twice, in a command.
    let leaf = pki.leaf(&LeafSpec::new(&["portal.example.test"]));
    let name = "wazo-portal-certificate-without-its-intermediate.pem";
    let file = pki.chain_file(name, &[&leaf]);
    let root = pki.root_file();
    for width in [80usize, 120, 200] {
        let columns = width.to_string();
        let out = certscan_with_env(
            &[
                "--file",
                &file,
                "--name",
                "portal.example.test",
                "--trust",
                "none",
                "--ca-file",
                &root,
                "--at",
                AT,
            ],
            &[("COLUMNS", Some(&columns))],
        );
        assert_eq!(out.code, 2, "{}", out.stdout);
        let command = format!("(cat {file} intermediate.pem > fullchain.pem).");
        for line in out.stdout.lines() {
            // A word or a command longer than the line is the only thing allowed past it, alone
            // on its line.
            let alone = line.split_whitespace().count() == 1 || line.trim() == command;
            assert!(
                line.chars().count() <= width || alone,
                "{width} columns: {line:?}\n{}",
                out.stdout
            );
        }
        assert!(out.stdout.contains(name), "{}", out.stdout);
        let words: Vec<&str> = out.stdout.split_whitespace().collect();
        assert!(
            words
                .iter()
                .any(|w| w.trim_matches(|c| c == '(' || c == ')' || c == ',') == file),
            "{width} columns: the path is split:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("why    certscan --explain chain.incomplete"),
            "{}",
            out.stdout
        );
        // The fix's command is on one line, to be pasted whole.
        assert!(
            out.stdout.lines().any(|line| line.contains(&command)),
            "{width} columns: the command is split:\n{}",
            out.stdout
        );
    }
}

#[test]
fn the_default_table_shows_details_only_for_what_is_not_ok_and_no_info() {
    let pki = Pki::new();
    // OK with an INFO finding: a self-signed certificate that is trusted as given.
    let own = self_signed(&LeafSpec::new(&["own.example.test"]));
    let own_file = pki.chain_file("own.pem", &[&own]);
    // CRITICAL: a leaf without its intermediate.
    let leaf = pki.leaf(&LeafSpec::new(&["own.example.test"]));
    let bare = pki.chain_file("bare.pem", &[&leaf]);
    let root = pki.root_file();
    let args = [
        "--file",
        own_file.as_str(),
        "--file",
        bare.as_str(),
        "--name",
        "own.example.test",
        "--trust",
        "none",
        "--ca-file",
        root.as_str(),
        "--ca-file",
        own_file.as_str(),
    ];
    let doc = scan_json(&args);
    let args = [&args[..], &["--at", AT]].concat();
    assert_eq!(doc["targets"][0]["status"], "ok", "{doc:#}");
    assert_eq!(ids(&doc, 0), ["cert.self_signed"]);
    let out = certscan(&args);
    // The overview names both; the details are the critical one's only.
    assert_eq!(out.stdout.matches("own.pem").count(), 1, "{}", out.stdout);
    assert!(out.stdout.contains("bare.pem CRITICAL"), "{}", out.stdout);
    assert!(!out.stdout.contains("cert.self_signed"), "{}", out.stdout);
    assert!(out.stdout.contains("certscan --explain chain.incomplete"));
    let verbose = certscan(&[&args[..], &["--verbose"]].concat());
    assert!(verbose.stdout.contains("own.pem OK"), "{}", verbose.stdout);
    assert!(
        verbose.stdout.contains("INFO     cert.self_signed"),
        "{}",
        verbose.stdout
    );
    // One endpoint alone gets its details, INFO findings counted but not shown.
    let single = certscan(&[
        "--file",
        &own_file,
        "--name",
        "own.example.test",
        "--trust",
        "none",
        "--ca-file",
        &own_file,
        "--at",
        AT,
    ]);
    assert_eq!(single.code, 0, "{}", single.stdout);
    assert!(
        single.stdout.contains("own.pem OK") && single.stdout.contains("(1 INFO finding(s) not shown"),
        "{}",
        single.stdout
    );
}
