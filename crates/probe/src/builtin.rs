//! Data files built into the binary that users may replace with their own (platform profiles,
//! compliance policies): a built-in name picks one, anything else is read as a path.

/// The text of the built-in called `name_or_path`, else of the file at that path. `flag` and
/// `kind` word the error ("--profile \"x\" is neither a built-in profile (...) nor a file").
pub fn text(flag: &str, kind: &str, builtins: &[(&str, &'static str)], name_or_path: &str) -> Result<String, String> {
    if let Some((_, text)) = builtins.iter().find(|(name, _)| *name == name_or_path) {
        return Ok(text.to_string());
    }
    let path = std::path::Path::new(name_or_path);
    if !path.exists() {
        let names: Vec<&str> = builtins.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "{flag} {name_or_path:?} is neither a built-in {kind} ({}) nor a file",
            names.join(", ")
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("{flag} {name_or_path}: {e}"))
}
