//! A short, deterministic mutation run of every fuzzing entry point (`certscan::fuzz`) over the
//! seeds in `fixtures/`: byte flips, insertions, deletions, truncations and splices. It finds
//! panics and runaway time in the parsers of untrusted input on every `cargo test`; the
//! coverage-guided runs are `fuzz/run` (cargo-fuzz).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Mutated inputs per entry point.
const ROUNDS: usize = 3_000;

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

fn seeds() -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut files);
    files.sort();
    let mut seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    // Decoded DER of the PEM fixtures, so the certificate parser sees binary input too.
    for seed in seeds.clone() {
        if let certscan_model::evidence::Observation::Chain { certificates, .. } =
            certscan_probe::file::chain_from_bytes(&seed)
        {
            seeds.extend(certificates.iter().map(|c| c.to_vec()));
        }
    }
    seeds.push(Vec::new());
    seeds
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.insert(at, rng.next() as u8),
            2 if !data.is_empty() => {
                let end = (at + 1 + rng.below(64)).min(data.len());
                data.drain(at.min(end)..end);
            }
            3 => data.truncate(at),
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let to = (from + rng.below(256)).min(other.len());
                data.splice(at..at, other[from..to].iter().copied());
            }
            _ => {
                // An interesting byte at a random place: lengths and tags live here.
                let interesting = [
                    0x00, 0x30, 0x80, 0x81, 0x82, 0x83, 0x84, 0xff, b'\r', b'\n', b':', b'{', b';',
                ];
                if !data.is_empty() {
                    let i = rng.below(data.len());
                    data[i] = interesting[rng.below(interesting.len())];
                }
            }
        }
    }
    data
}

#[test]
fn every_parser_of_untrusted_input_survives_mutated_seeds() {
    let seeds = seeds();
    for (name, entry) in certscan::fuzz::ENTRY_POINTS {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        let started = Instant::now();
        for round in 0..ROUNDS {
            let input = mutate(&mut rng, &seeds);
            let one = Instant::now();
            let outcome = std::panic::catch_unwind(|| entry(&input));
            if outcome.is_err() {
                let saved = std::env::temp_dir().join(format!("certscan-fuzz-{name}-{round}.bin"));
                std::fs::write(&saved, &input).unwrap();
                panic!("{name} panicked on round {round}; input saved to {}", saved.display());
            }
            assert!(
                one.elapsed() < Duration::from_secs(2),
                "{name} took {:?} on one input",
                one.elapsed()
            );
        }
        eprintln!("{name}: {ROUNDS} inputs in {:?}", started.elapsed());
    }
}
