//! The `certscan` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    certscan::cli::main()
}
