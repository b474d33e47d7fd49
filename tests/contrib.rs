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

/// A tool that CI installs: on a machine without it the test is skipped with a message, in CI
/// its absence fails the test.
fn installed_in_ci(tool: &str) -> Option<PathBuf> {
    let found = installed(tool);
    assert!(
        found.is_some() || std::env::var_os("CI").is_none(),
        "CI installs {} for this test",
        package_of(tool)
    );
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

/// A Nagios command's command line, with its macros given these values (`$USER1$` the plugin
/// directory, `$ARGn$` in order), as the shell Nagios runs it would split it.
fn nagios_command(name: &str, host: &str, arguments: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(contrib("nagios/certscan.cfg")).unwrap();
    let block = text
        .split("define command {")
        .find(|block| block.contains(&format!("command_name    {name}\n")))
        .unwrap_or_else(|| panic!("no command {name}"));
    let mut line = block
        .lines()
        .find_map(|l| l.trim().strip_prefix("command_line"))
        .expect("a command_line")
        .trim()
        .replace("$HOSTADDRESS$", host);
    for n in (1..=9).rev() {
        line = line.replace(&format!("$ARG{n}$"), arguments.get(n - 1).copied().unwrap_or(""));
    }
    line.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_nagios_command_lines_run_as_written_with_extra_flags() {
    let (pki, servers) = (Pki::new(), Servers::new());
    let leaf = pki.leaf(&LeafSpec::new(&["127.0.0.1"]));
    let good = serve_leaf_and_intermediate(&servers, &pki, &leaf);
    let closed = servers.closed_port();
    let run = |words: Vec<String>| {
        assert_eq!(words[0], "$USER1$/certscan", "{words:?}");
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        certscan(&args)
    };
    let out = run(nagios_command(
        "check_certscan",
        "127.0.0.1",
        &[&closed.to_string(), "30", "14"],
    ));
    assert_eq!(out.code, 2, "{}", out.stdout);
    assert!(out.stdout.starts_with("CERTSCAN CRITICAL - "), "{}", out.stdout);
    assert!(out.stdout.contains("connection.refused"), "{}", out.stdout);
    // The last argument carries the flags a private CA and a pinned time need.
    let extra = format!("--ca-file {} --trust none --at {AT}", pki.root_file());
    let out = run(nagios_command(
        "check_certscan",
        "127.0.0.1",
        &[&good.to_string(), "30", "14", &extra],
    ));
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.starts_with("CERTSCAN OK - "), "{}", out.stdout);
    let out = run(nagios_command(
        "check_certscan_starttls",
        "127.0.0.1",
        &["smtp", &closed.to_string(), "30", "14", "--ignore connection.refused"],
    ));
    assert!(!out.stdout.contains("CRITICAL"), "{}", out.stdout);
}

/// The account certscan's own processes run as, for daemons that would switch to theirs.
fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits (polling, at most 60 s) until `found` says the file holds what it waits for.
fn wait_for_file(path: &Path, found: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if found(&text) {
            return text;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{} never had it:\n{text}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A daemon stopped when dropped.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn icinga2_runs_the_check_with_the_ports_or_the_profile_and_the_binary_given() {
    let Some(icinga2) = installed_in_ci("icinga2") else {
        return;
    };
    let servers = Servers::new();
    let closed = servers.closed_port();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    for sub in ["data", "log", "cache", "spool", "run"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    let config = format!(
        r#"include <itl>
include "{command}"
object CheckerComponent "checker" {{ }}
object FileLogger "debug" {{
  path = "{d}/log/debug.log"
  severity = "debug"
}}
object Host "127.0.0.1" {{
  check_command = "dummy"
}}
object Service "ports" {{
  host_name = "127.0.0.1"
  check_command = "certscan"
  check_interval = 2s
  vars.certscan_binary = "{binary}"
  vars.certscan_ports = "{closed}"
  vars.certscan_no_dns = true
}}
object Service "profile" {{
  host_name = "127.0.0.1"
  check_command = "certscan"
  check_interval = 2s
  vars.certscan_binary = "{binary}"
  vars.certscan_profile = "wazo"
  vars.certscan_no_dns = true
  vars.certscan_timeout = 5
}}
"#,
        command = contrib("icinga2/certscan.conf").display(),
        binary = env!("CARGO_BIN_EXE_certscan"),
    );
    let main = dir.path().join("icinga2.conf");
    std::fs::write(&main, config).unwrap();
    let user = user_name();
    let _daemon = Daemon(
        Command::new(&icinga2)
            .arg("daemon")
            .arg("-c")
            .arg(&main)
            .args([
                format!("-DDataDir={d}/data"),
                format!("-DLogDir={d}/log"),
                format!("-DCacheDir={d}/cache"),
                format!("-DSpoolDir={d}/spool"),
                format!("-DInitRunDir={d}/run"),
                format!("-DRunAsUser={user}"),
                format!("-DRunAsGroup={user}"),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let binary = env!("CARGO_BIN_EXE_certscan");
    let log = wait_for_file(&dir.path().join("log/debug.log"), |text| {
        text.matches(&format!("('{binary}'")).count() >= 2 && text.matches("terminated with exit code").count() >= 2
    });
    // The ports given are the target's; with a profile the host alone, so that certscan scans
    // every port of the profile (a port written out would replace them).
    assert!(
        log.contains(&format!(
            "'{binary}' '--format' 'nagios' '--no-dns' '--timeout' '50' '127.0.0.1:{closed}')"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "'{binary}' '--format' 'nagios' '--no-dns' '--profile' 'wazo' '--timeout' '5' '127.0.0.1')"
        )),
        "{log}"
    );
    assert!(log.contains(") terminated with exit code 2"), "{log}");
}

#[test]
fn nagios_runs_the_check_through_its_own_command_line() {
    let Some(nagios) = installed_in_ci("nagios4") else {
        return;
    };
    let servers = Servers::new();
    let closed = servers.closed_port();
    let dir = tempfile::tempdir().unwrap();
    // Nagios runs checks as its own user: the folder is open to it.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let d = dir.path().display().to_string();
    std::fs::create_dir(dir.path().join("plugins")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_certscan"), dir.path().join("plugins/certscan")).unwrap();
    std::fs::write(dir.path().join("resource.cfg"), format!("$USER1$={d}/plugins\n")).unwrap();
    let objects = format!(
        "define timeperiod {{\n  timeperiod_name always\n  alias Always\n  monday 00:00-24:00\n  tuesday 00:00-24:00\n  wednesday 00:00-24:00\n  thursday 00:00-24:00\n  friday 00:00-24:00\n  saturday 00:00-24:00\n  sunday 00:00-24:00\n}}\n\
         define command {{\n  command_name notify-nobody\n  command_line /bin/true\n}}\n\
         define contact {{\n  contact_name admin\n  host_notifications_enabled 0\n  service_notifications_enabled 0\n  host_notification_period always\n  service_notification_period always\n  host_notification_options n\n  service_notification_options n\n  host_notification_commands notify-nobody\n  service_notification_commands notify-nobody\n}}\n\
         define host {{\n  host_name wazo\n  address 127.0.0.1\n  max_check_attempts 1\n  check_period always\n  contacts admin\n  notification_interval 0\n  notification_period always\n}}\n\
         define service {{\n  host_name wazo\n  service_description Certificates\n  check_command check_certscan!{closed}!30!14!--no-dns\n  max_check_attempts 1\n  check_interval 3600\n  retry_interval 5\n  check_period always\n  contacts admin\n  notification_interval 0\n  notification_period always\n}}\n"
    );
    std::fs::write(dir.path().join("objects.cfg"), objects).unwrap();
    let main = dir.path().join("nagios.cfg");
    std::fs::write(
        &main,
        format!(
            "cfg_file={}\ncfg_file={d}/objects.cfg\nresource_file={d}/resource.cfg\ncheck_result_path={d}\nlock_file={d}/nagios.lock\ntemp_file={d}/nagios.tmp\nlog_file={d}/nagios.log\nstatus_file={d}/status.dat\nstatus_update_interval=1\ninterval_length=1\ncheck_result_reaper_frequency=1\ncheck_external_commands=1\ncommand_file={d}/nagios.cmd\nillegal_macro_output_chars=`~$&|'\"<>\n",
            contrib("nagios/certscan.cfg").display()
        ),
    )
    .unwrap();
    let _daemon = Daemon(
        Command::new(&nagios)
            .arg(&main)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // A forced check through Nagios' command file, once the file is there.
    let pipe = dir.path().join("nagios.cmd");
    let started = std::time::Instant::now();
    while !pipe.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "Nagios never opened its command file"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    std::fs::write(
        &pipe,
        format!("[{now}] SCHEDULE_FORCED_SVC_CHECK;wazo;Certificates;{now}\n"),
    )
    .unwrap();
    let status = wait_for_file(&dir.path().join("status.dat"), |text| {
        text.contains("plugin_output=CERTSCAN")
    });
    assert!(
        status.contains(&format!(
            "plugin_output=CERTSCAN CRITICAL - 1 critical of 1 endpoint(s): 127.0.0.1:{closed} connection.refused"
        )),
        "{status}"
    );
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
