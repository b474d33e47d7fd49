//! Embeds the check catalog: every `checks/*.toml` file becomes one entry of a generated
//! `CATALOG_SOURCES` table, so adding a check file needs no code change to be shipped.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../checks");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String)> = Vec::new();
    for entry in fs::read_dir(&dir).expect("checks/ folder") {
        let path = entry.expect("checks/ entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".toml") {
            entries.push((name, path.display().to_string()));
        }
    }
    entries.sort();
    let mut out = String::from("pub(crate) const CATALOG_SOURCES: &[(&str, &str)] = &[\n");
    for (name, path) in entries {
        out.push_str(&format!("    ({name:?}, include_str!({path:?})),\n"));
    }
    out.push_str("];\n");
    fs::write(Path::new(&env::var("OUT_DIR").unwrap()).join("catalog_sources.rs"), out).unwrap();
}
