//! The monitoring definitions shipped under `contrib/`: every flag they pass exists, the Nagios
//! command line runs as written, and Icinga 2 and Nagios accept the files (checked with the
//! real tools when they are installed, skipped with a message otherwise).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn contrib(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib").join(path)
}

/// A tool on the PATH, or a message saying the check is skipped.
fn installed(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file());
    if found.is_none() {
        eprintln!("skipped: {tool} is not installed (Debian package {})", package_of(tool));
    }
    found
}

fn package_of(tool: &str) -> &'static str {
    match tool {
        "icinga2" => "icinga2-bin",
        _ => "nagios4-core",
    }
}

/// The flags (`-t`, `--format`) written in a file (outside comments).
fn flags_in(text: &str, comment: &str) -> Vec<String> {
    let mut flags: Vec<String> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with(comment) && !line.trim_start().starts_with('*'))
        .flat_map(|line| {
            line.split(|c: char| c.is_whitespace() || c == '"' || c == ',')
                .filter(|word| {
                    let name = word.trim_start_matches('-');
                    word.starts_with('-') && name.starts_with(|c: char| c.is_ascii_alphabetic())
                })
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

#[test]
fn every_flag_in_the_definitions_exists() {
    let help = certscan(&["--help"]).stdout;
    for (file, comment) in [("icinga2/certscan.conf", "//"), ("nagios/certscan.cfg", "#")] {
        let text = std::fs::read_to_string(contrib(file)).unwrap();
        let flags = flags_in(&text, comment);
        assert!(flags.len() >= 4, "{file}: {flags:?}");
        for flag in flags {
            // As clap lists them: "  -t, --timeout <SECONDS>", "      --no-dns".
            let listed = [" ", ",", "\n"]
                .iter()
                .any(|after| help.contains(&format!(" {flag}{after}")));
            assert!(listed, "{file} passes {flag}, which certscan does not have");
        }
    }
}

#[test]
fn the_nagios_command_line_runs_as_written() {
    let servers = Servers::new();
    let port = servers.closed_port();
    let text = std::fs::read_to_string(contrib("nagios/certscan.cfg")).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("command_line"))
        .expect("a command_line")
        .trim()
        .replace("$HOSTADDRESS$", "127.0.0.1")
        .replace("$ARG1$", &port.to_string())
        .replace("$ARG2$", "30")
        .replace("$ARG3$", "14");
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/certscan"));
    let args: Vec<&str> = words.collect();
    let out = certscan(&args);
    assert_eq!(out.code, 2, "{line}: {}", out.stdout);
    assert!(out.stdout.starts_with("CERTSCAN CRITICAL - "), "{}", out.stdout);
    assert!(out.stdout.contains("connection.refused"), "{}", out.stdout);
}

#[test]
fn icinga2_accepts_the_check_command() {
    let Some(icinga2) = installed("icinga2") else { return };
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("icinga2.conf");
    let config = |command_file: &Path| {
        format!(
            r#"include <itl>
include "{}"
object Host "wazo.example.test" {{
  check_command = "dummy"
  vars.certscan = true
}}
apply Service "certificates" {{
  check_command = "certscan"
  vars.certscan_ports = "443,9497"
  vars.certscan_names = [ "wazo.example.test" ]
  vars.certscan_ignore = [ "http.hsts_missing" ]
  assign where host.vars.certscan
}}
"#,
            command_file.display()
        )
    };
    let validate = |command_file: &Path| {
        std::fs::write(&main, config(command_file)).unwrap();
        Command::new(&icinga2)
            .args(["daemon", "-C", "-c"])
            .arg(&main)
            .output()
            .unwrap()
    };
    let out = validate(&contrib("icinga2/certscan.conf"));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("Instantiated 1 Service"), "{said}");
    // The check has teeth: a broken copy is refused.
    let broken = dir.path().join("broken.conf");
    let text = std::fs::read_to_string(contrib("icinga2/certscan.conf")).unwrap();
    std::fs::write(&broken, text.replace("arguments = {", "arguments = {{")).unwrap();
    assert!(!validate(&broken).status.success());
}

#[test]
fn nagios_accepts_the_commands() {
    let Some(nagios) = installed("nagios4") else { return };
    let dir = tempfile::tempdir().unwrap();
    // Nagios checks that its user can write there.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let service = |description: &str, command: &str| {
        format!(
            "define service {{\n  host_name wazo\n  service_description {description}\n  check_command {command}\n  max_check_attempts 1\n  check_interval 60\n  retry_interval 5\n  check_period always\n  contacts admin\n  notification_interval 0\n  notification_period always\n}}\n"
        )
    };
    let days: String = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|d| format!("  {d} 00:00-24:00\n"))
    .collect();
    let objects = format!(
        "define timeperiod {{\n  timeperiod_name always\n  alias Always\n{days}}}\n\
         define command {{\n  command_name notify-nobody\n  command_line /bin/true\n}}\n\
         define contact {{\n  contact_name admin\n  host_notifications_enabled 0\n  service_notifications_enabled 0\n  host_notification_period always\n  service_notification_period always\n  host_notification_options n\n  service_notification_options n\n  host_notification_commands notify-nobody\n  service_notification_commands notify-nobody\n}}\n\
         define host {{\n  host_name wazo\n  address wazo.example.test\n  max_check_attempts 1\n  check_period always\n  contacts admin\n  notification_interval 0\n  notification_period always\n}}\n{}{}",
        service("Certificates", "check_certscan!443,9497!30!14"),
        service("Platform certificates", "check_certscan_profile!wazo!30!14"),
    );
    let objects_file = dir.path().join("objects.cfg");
    std::fs::write(&objects_file, objects).unwrap();
    let validate = |command_file: &Path| {
        let main = dir.path().join("nagios.cfg");
        let d = dir.path().display();
        std::fs::write(
            &main,
            format!(
                "cfg_file={}\ncfg_file={}\ncheck_result_path={d}\nlock_file={d}/nagios.lock\ntemp_file={d}/nagios.tmp\nlog_file={d}/nagios.log\nillegal_macro_output_chars=`~$&|'\"<>\n",
                command_file.display(),
                objects_file.display()
            ),
        )
        .unwrap();
        Command::new(&nagios).arg("-v").arg(&main).output().unwrap()
    };
    let out = validate(&contrib("nagios/certscan.cfg"));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("Total Errors:   0"), "{said}");
    // A copy without the second command leaves a service without its command: refused.
    let broken = dir.path().join("broken.cfg");
    let text = std::fs::read_to_string(contrib("nagios/certscan.cfg")).unwrap();
    std::fs::write(&broken, text.replace("check_certscan_profile", "check_certscan_other")).unwrap();
    assert!(!validate(&broken).status.success());
}
