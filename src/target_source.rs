//! Where the targets of a run come from, read as the scan goes: the command line, targets
//! files and standard input (line by line, never whole), then the targets found in
//! configurations. Each target is expanded by the platform profile, kept once, and kept only
//! when it falls in this job's `--shard`. What stays in memory per target read is a 16-byte
//! digest (to keep each endpoint once), never the target itself.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use certscan_model::target::{self, Protocol, Shard, Target};
use certscan_platforms::profile::Profile;

/// The longest line a targets file may hold (a host with thousands of ports fits).
pub(crate) const MAX_LINE_BYTES: usize = 1024 * 1024;

/// What a targets file line could not be read as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTarget {
    /// The text, as the user wrote it (cut when very long).
    pub input: String,
    /// Where it was and what is wrong, e.g. `targets.txt, line 3: "99999" is not a port`.
    pub error: String,
}

/// One item of the list: a target to probe, or a line that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Target(Box<Target>),
    Invalid(InvalidTarget),
}

/// How targets read from the user are completed before they are scanned.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    /// `--protocol`, for targets without a scheme.
    pub protocol: Option<Protocol>,
    /// `--profile`: bare hosts become the platform's ports.
    pub profile: Option<Profile>,
    /// `--compare`: the certificate file every endpoint should serve.
    pub compare: Option<PathBuf>,
}

/// The run's list of targets, not yet read.
#[derive(Debug, Default)]
pub struct TargetSource {
    /// Targets given on the command line, parsed and completed.
    pub given: Vec<Target>,
    /// Targets files, read in order; `-` is standard input.
    pub files: Vec<PathBuf>,
    /// Targets found in configurations (nginx, Kazoo), complete as they are.
    pub configured: Vec<Target>,
    pub completion: Completion,
    pub shard: Option<Shard>,
}

/// Counts kept while reading, for the end of the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Targets read, before `--shard` chose its slice.
    pub read: usize,
    /// Targets and invalid lines handed to the scan.
    pub kept: usize,
}

impl TargetSource {
    /// Whether the list may hold anything at all (a targets file may turn out empty).
    pub(crate) fn may_hold_targets(&self) -> bool {
        !(self.given.is_empty() && self.files.is_empty() && self.configured.is_empty())
    }

    /// Reads the list, giving each item kept to `keep` in order; stops early when `keep` says
    /// false. Blocking: reads files and standard input.
    pub fn read(self, mut keep: impl FnMut(Item) -> bool) -> Tally {
        let mut reader = Reader {
            seen: HashSet::new(),
            shard: self.shard,
            tally: Tally::default(),
        };
        for target in self.given {
            if !reader.offer(Item::Target(Box::new(target)), &mut keep) {
                return reader.tally;
            }
        }
        for path in &self.files {
            let completion = &self.completion;
            let going = read_file(path, &mut |item| match item {
                Item::Target(target) => {
                    let target = completion.complete_one(*target);
                    // A profile turns one bare host into several targets.
                    match &completion.profile {
                        Some(profile) => certscan_platforms::profile::apply(profile, vec![target])
                            .into_iter()
                            .all(|t| reader.offer(Item::Target(Box::new(t)), &mut keep)),
                        None => reader.offer(Item::Target(Box::new(target)), &mut keep),
                    }
                }
                invalid => reader.offer(invalid, &mut keep),
            });
            if !going {
                return reader.tally;
            }
        }
        for target in self.configured {
            if !reader.offer(Item::Target(Box::new(target)), &mut keep) {
                return reader.tally;
            }
        }
        reader.tally
    }
}

impl Completion {
    /// Applies `--protocol` and `--compare` to one target (the profile is applied after, as
    /// it can make several).
    fn complete_one(&self, mut target: Target) -> Target {
        if let Some(protocol) = self.protocol
            && !target.scheme_given
        {
            target.protocol = protocol;
        }
        target.extra.compare = self.compare.clone();
        target
    }

    /// Completes targets given by the user: protocol, profile, then `--compare`.
    pub fn complete(&self, targets: Vec<Target>) -> Vec<Target> {
        let targets: Vec<Target> = targets.into_iter().map(|t| self.complete_one(t)).collect();
        match &self.profile {
            Some(profile) => certscan_platforms::profile::apply(profile, targets),
            None => targets,
        }
    }
}

/// Deduplication and sharding, as items are read.
struct Reader {
    /// A 128-bit digest of each target's key: the first of each endpoint is kept.
    seen: HashSet<u128>,
    shard: Option<Shard>,
    tally: Tally,
}

impl Reader {
    fn offer(&mut self, item: Item, keep: &mut impl FnMut(Item) -> bool) -> bool {
        let key = match &item {
            Item::Target(target) => target.key(),
            Item::Invalid(invalid) => format!("invalid|{}", invalid.error),
        };
        let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest.as_ref()[..16]);
        if !self.seen.insert(u128::from_be_bytes(first)) {
            return true;
        }
        self.tally.read += 1;
        if let Some(shard) = &self.shard
            && !shard.holds(&key)
        {
            return true;
        }
        self.tally.kept += 1;
        keep(item)
    }
}

/// The items of a targets list held in memory (for tests and fuzzing), before deduplication.
pub(crate) fn read_text(bytes: &[u8], label: &str) -> Vec<Item> {
    let mut items = Vec::new();
    read_lines(
        bytes,
        label,
        &mut |item| {
            items.push(item);
            true
        },
        &|error| {
            Item::Invalid(InvalidTarget {
                input: label.to_string(),
                error: error.to_string(),
            })
        },
    );
    items
}

/// Reads a targets file (or standard input for `-`) line by line; `#` starts a comment.
/// Returns false when `each` asked to stop. A file that cannot be opened or read is one
/// invalid item.
fn read_file(path: &PathBuf, each: &mut dyn FnMut(Item) -> bool) -> bool {
    let label = path.display().to_string();
    let failed = |error: std::io::Error| {
        Item::Invalid(InvalidTarget {
            input: label.clone(),
            error: format!("cannot read targets file {label}: {error}"),
        })
    };
    if path.as_os_str() == "-" {
        return read_lines(BufReader::new(std::io::stdin().lock()), "standard input", each, &failed);
    }
    match std::fs::File::open(path) {
        Ok(file) => read_lines(BufReader::new(file), &label, each, &failed),
        Err(error) => each(failed(error)),
    }
}

fn read_lines(
    mut reader: impl BufRead,
    label: &str,
    each: &mut dyn FnMut(Item) -> bool,
    failed: &dyn Fn(std::io::Error) -> Item,
) -> bool {
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        number += 1;
        let read = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line);
        match read {
            Err(error) => return each(failed(error)),
            Ok(0) => return true,
            Ok(_) => {}
        }
        if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            // Skip the rest of the overlong line.
            let mut rest = Vec::new();
            while let Ok(n) = reader.by_ref().take(64 * 1024).read_until(b'\n', &mut rest) {
                if n == 0 || rest.last() == Some(&b'\n') {
                    break;
                }
                rest.clear();
            }
            let invalid = Item::Invalid(InvalidTarget {
                input: String::from_utf8_lossy(&line[..80]).into_owned(),
                error: format!("{label}, line {number}: longer than {MAX_LINE_BYTES} bytes"),
            });
            if !each(invalid) {
                return false;
            }
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.split('#').next().unwrap_or("");
        for item in line_items(text, &format!("{label}, line {number}")) {
            if !each(item) {
                return false;
            }
        }
    }
}

/// The most of a line or a word a report repeats when it is not a target.
const SHOWN_CHARS: usize = 200;

/// `text` cut to [`SHOWN_CHARS`], marked when cut.
fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The targets of one line, or one invalid item for the whole line when any of its words is not
/// a target: a line such as `%%% not a target %%%` is a mistake, and none of its words is
/// scanned as a host.
fn line_items(text: &str, place: &str) -> Vec<Item> {
    let mut targets = Vec::new();
    for word in text.split_whitespace() {
        match target::parse_target(word) {
            Ok(parsed) => targets.extend(parsed.into_iter().map(|t| Item::Target(Box::new(t)))),
            Err(error) => {
                let error = match word.chars().count() > SHOWN_CHARS {
                    true => format!("target {:?} ({} bytes) is not a target", shown(word), word.len()),
                    false => error,
                };
                return vec![Item::Invalid(InvalidTarget {
                    input: shown(text.trim()),
                    error: format!("{place}: {error}"),
                })];
            }
        }
    }
    targets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(source: TargetSource) -> (Vec<Item>, Tally) {
        let mut items = Vec::new();
        let tally = source.read(|item| {
            items.push(item);
            true
        });
        (items, tally)
    }

    fn inputs(items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|item| match item {
                Item::Target(t) => t.input.clone(),
                Item::Invalid(i) => format!("invalid {}", i.error),
            })
            .collect()
    }

    fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("targets.txt");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn lines_are_read_in_order_with_comments_and_duplicates_dropped() {
        let (_dir, path) = file_with("# fleet\na.test:443,8443 b.test  # two\n\na.test:443\nc.test:99999\n");
        let source = TargetSource {
            given: target::parse_target("b.test").unwrap(),
            files: vec![path.clone()],
            ..TargetSource::default()
        };
        let (items, tally) = read_all(source);
        let label = path.display();
        assert_eq!(
            inputs(&items),
            [
                "b.test".to_string(),
                "a.test:443".into(),
                "a.test:8443".into(),
                format!("invalid {label}, line 5: target \"c.test:99999\": \"99999\" is not a port number (1-65535)"),
            ]
        );
        assert_eq!(tally, Tally { read: 4, kept: 4 });
    }

    #[test]
    fn duplicates_are_scanned_once_whatever_the_spelling() {
        let source = TargetSource {
            given: ["a.example.com:443", "A.example.com", "a.example.com:443,8443"]
                .iter()
                .flat_map(|t| target::parse_target(t).unwrap())
                .collect(),
            ..TargetSource::default()
        };
        let (items, tally) = read_all(source);
        assert_eq!(inputs(&items), ["a.example.com:443", "a.example.com:8443"]);
        assert_eq!(tally.read, 2);
    }

    #[test]
    fn a_list_in_memory_reads_as_a_file_does() {
        let items = read_text(
            b"# platform\n\nwazo.example.com:443,9497  # web + auth\n  bad:port\n",
            "t.txt",
        );
        assert_eq!(items.len(), 3);
        assert!(
            matches!(&items[2], Item::Invalid(i) if i.error.starts_with("t.txt, line 4:")),
            "{items:?}"
        );
    }

    #[test]
    fn a_line_with_a_word_that_is_no_target_is_one_invalid_item_and_none_of_its_words_is_scanned() {
        let (_dir, path) = file_with("%%% not a target %%%\na.test mail.test:99999 b.test\nc.test\n");
        let source = TargetSource {
            files: vec![path.clone()],
            ..TargetSource::default()
        };
        let (items, _) = read_all(source);
        let targets: Vec<&str> = items
            .iter()
            .filter_map(|item| match item {
                Item::Target(t) => Some(t.input.as_str()),
                Item::Invalid(_) => None,
            })
            .collect();
        assert_eq!(targets, ["c.test"], "{:?}", inputs(&items));
        let invalid: Vec<&InvalidTarget> = items
            .iter()
            .filter_map(|item| match item {
                Item::Invalid(i) => Some(i),
                Item::Target(_) => None,
            })
            .collect();
        assert_eq!(invalid.len(), 2);
        assert_eq!(invalid[0].input, "%%% not a target %%%");
        assert!(invalid[0].error.contains("line 1"), "{}", invalid[0].error);
        assert_eq!(invalid[1].input, "a.test mail.test:99999 b.test");
        assert!(invalid[1].error.contains("99999"), "{}", invalid[1].error);
    }

    #[test]
    fn a_huge_word_that_is_no_target_is_shown_shortened_once() {
        let word = "%".repeat(64 * 1024);
        let (_dir, path) = file_with(&format!("{word}\n"));
        let source = TargetSource {
            files: vec![path],
            ..TargetSource::default()
        };
        let (items, _) = read_all(source);
        let Item::Invalid(invalid) = &items[0] else {
            panic!("{:?}", inputs(&items))
        };
        assert!(invalid.input.chars().count() <= 201, "{}", invalid.input.len());
        assert!(invalid.error.len() < 400, "{}", invalid.error.len());
        assert!(invalid.error.contains("65536 bytes"), "{}", invalid.error);
    }

    #[test]
    fn an_overlong_line_is_one_invalid_item_and_reading_goes_on() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let (_dir, path) = file_with(&format!("{long}\nok.test\n"));
        let (items, _) = read_all(TargetSource {
            files: vec![path],
            ..TargetSource::default()
        });
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], Item::Invalid(i) if i.error.contains("line 1: longer than")));
        assert!(matches!(&items[1], Item::Target(t) if t.input == "ok.test"));
    }

    #[test]
    fn an_unreadable_file_is_an_invalid_item() {
        let (items, _) = read_all(TargetSource {
            files: vec![PathBuf::from("/nonexistent/targets.txt")],
            ..TargetSource::default()
        });
        assert!(matches!(&items[..], [Item::Invalid(i)] if i.error.contains("cannot read targets file")));
    }

    #[test]
    fn shards_partition_the_list() {
        let text: String = (1..=200).map(|i| format!("host{i}.test:443\n")).collect();
        let (_dir, path) = file_with(&text);
        let mut union = Vec::new();
        for k in 1..=3 {
            let (items, tally) = read_all(TargetSource {
                files: vec![path.clone()],
                shard: Some(Shard::parse(&format!("{k}/3")).unwrap()),
                ..TargetSource::default()
            });
            assert_eq!(tally.read, 200);
            assert_eq!(tally.kept, items.len());
            union.extend(inputs(&items));
        }
        union.sort();
        let mut all: Vec<String> = (1..=200).map(|i| format!("host{i}.test:443")).collect();
        all.sort();
        assert_eq!(union, all, "every target in exactly one shard");
    }

    #[test]
    fn reading_stops_when_asked() {
        let (_dir, path) = file_with("a.test\nb.test\nc.test\n");
        let mut seen = 0;
        let tally = TargetSource {
            files: vec![path],
            ..TargetSource::default()
        }
        .read(|_| {
            seen += 1;
            seen < 2
        });
        assert_eq!((seen, tally.kept), (2, 2));
    }
}
