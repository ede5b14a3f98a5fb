//! Every option in `--help` does what it says, and stays so: these tests read the `--help` of
//! every subcommand of the binary, collect every long option and environment variable, and check
//! each against the tables below, which name the tests that fail when the option is ignored. A
//! new option (or variable) without a named test fails here; so does a named test that no longer
//! exists. The README's command lines are checked against the same help.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::{bin, root, run, serve_device};

/// `(command, long option, tests that fail if the option were ignored)`. The command is the
/// subcommand path as typed (`""`: the binary itself, for global options).
#[rustfmt::skip]
const OPTIONS: &[(&str, &str, &[&str])] = &[
    ("", "--log-json", &["log_json_makes_the_server_log_json_lines"]),
    ("demo", "--data-dir", &["demo_options_reach_the_services"]),
    ("demo", "--base-port", &["demo_with_a_certificate_serves_https_for_every_service"]),
    ("demo", "--snmp-base-port", &["demo_options_reach_the_services"]),
    ("demo", "--weblet", &["demo_options_reach_the_services"]),
    ("demo", "--tls-cert", &["demo_with_a_certificate_serves_https_for_every_service"]),
    ("demo", "--tls-key", &["demo_with_a_certificate_serves_https_for_every_service"]),
    ("demo", "--ca-cert", &["demo_with_a_certificate_serves_https_for_every_service"]),
    ("demo", "--speed", &["the_accelerated_demo_shows_forecasts_an_automatic_order_and_an_alert_incident"]),
    ("demo", "--poll-interval", &["the_accelerated_demo_shows_forecasts_an_automatic_order_and_an_alert_incident"]),
    ("device read", "--target", &["json_and_table_of_the_xerox_fixture"]),
    ("device read", "--community", &["no_answer_says_what_to_check_and_fails", "device_serve_and_fleet_answer_only_their_community"]),
    ("device read", "--json", &["json_and_table_of_the_xerox_fixture"]),
    ("device read", "--timeout-ms", &["no_answer_says_what_to_check_and_fails"]),
    ("device read", "--retries", &["device_read_stats_counts_the_retries"]),
    ("device read", "--stats", &["device_read_stats_counts_the_retries"]),
    ("device serve", "--recording", &["every_recording_and_fixture_is_served_and_walked_back_exactly_over_ws_snmp"]),
    ("device serve", "--snmp", &["device_serve_listens_where_snmp_and_http_say"]),
    ("device serve", "--http", &["device_serve_listens_where_snmp_and_http_say"]),
    ("device serve", "--community", &["device_serve_and_fleet_answer_only_their_community"]),
    ("device serve", "--admin-password", &["the_install_command_line_installs_through_the_gallery"]),
    ("device serve", "--simulate-usage", &["device_serve_simulate_usage_moves_the_counters_every_simulate_interval"]),
    ("device serve", "--simulate-interval", &["device_serve_simulate_usage_moves_the_counters_every_simulate_interval"]),
    ("device serve", "--data-dir", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("device serve", "--panel-size", &["panel_size_and_admin_email_options_reach_the_services_and_the_panel", "a_panel_size_out_of_range_is_refused_with_the_reason"]),
    ("device serve", "--admin-email", &["panel_size_and_admin_email_options_reach_the_services_and_the_panel"]),
    ("device fleet", "--dir", &["device_fleet_serves_copies_on_ports_with_living_data"]),
    ("device fleet", "--copies", &["device_fleet_puts_devices_where_base_address_ports_and_port_say"]),
    ("device fleet", "--base-address", &["device_fleet_puts_devices_where_base_address_ports_and_port_say"]),
    ("device fleet", "--port", &["device_fleet_puts_devices_where_base_address_ports_and_port_say"]),
    ("device fleet", "--ports", &["device_fleet_puts_devices_where_base_address_ports_and_port_say"]),
    ("device fleet", "--community", &["device_serve_and_fleet_answer_only_their_community"]),
    ("device fleet", "--simulate-usage", &["device_fleet_serves_copies_on_ports_with_living_data"]),
    ("device fleet", "--speed", &["device_fleet_serves_copies_on_ports_with_living_data"]),
    ("device fleet", "--seed", &["device_fleet_serves_copies_on_ports_with_living_data", "same_seed_same_run_other_seed_other_run"]),
    ("device fleet", "--manifest", &["device_fleet_serves_copies_on_ports_with_living_data"]),
    ("serve assistant", "--listen", &["serve_refuses_plain_http_unless_asked_for_on_loopback"]),
    ("serve assistant", "--database", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--manager-url", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--manager-api-keys", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--gallery-url", &["serve_assistant_with_a_certificate_serves_https_only_and_sends_its_frame_ancestors"]),
    ("serve assistant", "--config-keys", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--contact-keys", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--mail", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--mail-from", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("serve assistant", "--tls-cert", &["serve_assistant_with_a_certificate_serves_https_only_and_sends_its_frame_ancestors"]),
    ("serve assistant", "--tls-key", &["serve_assistant_with_a_certificate_serves_https_only_and_sends_its_frame_ancestors"]),
    ("serve assistant", "--insecure-http", &["serve_assistant_applies_its_rate_limit_options", "serve_refuses_plain_http_unless_asked_for_on_loopback"]),
    ("serve assistant", "--ca-cert", &["serve_assistant_with_a_certificate_serves_https_only_and_sends_its_frame_ancestors"]),
    ("serve assistant", "--rate-limit-per-second", &["serve_assistant_applies_its_rate_limit_options"]),
    ("serve assistant", "--rate-limit-burst", &["serve_assistant_applies_its_rate_limit_options"]),
    ("serve assistant", "--frame-ancestors", &["serve_assistant_with_a_certificate_serves_https_only_and_sends_its_frame_ancestors"]),
    ("serve gallery", "--listen", &["serve_refuses_plain_http_unless_asked_for_on_loopback"]),
    ("serve gallery", "--database", &["serve_gallery_starts_on_sqlite_and_accepts_its_api_key"]),
    ("serve gallery", "--seal-keys", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("serve gallery", "--signing-keys", &["environment_variables_stand_for_their_options"]),
    ("serve gallery", "--api-key", &["serve_gallery_starts_on_sqlite_and_accepts_its_api_key"]),
    ("serve gallery", "--tls-cert", &["serve_gallery_with_a_certificate_serves_https_only"]),
    ("serve gallery", "--tls-key", &["serve_gallery_with_a_certificate_serves_https_only"]),
    ("serve gallery", "--insecure-http", &["serve_refuses_plain_http_unless_asked_for_on_loopback"]),
    ("serve manager", "--listen", &["serve_refuses_plain_http_unless_asked_for_on_loopback"]),
    ("serve manager", "--tls-cert", &["serve_manager_with_a_certificate_serves_https_only"]),
    ("serve manager", "--tls-key", &["serve_manager_reloads_its_certificate_on_sighup"]),
    ("serve manager", "--insecure-http", &["serve_refuses_plain_http_unless_asked_for_on_loopback"]),
    ("serve manager", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("serve manager", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("serve manager", "--data-keys-file", &["data_keys_file_first_line_encrypts_and_every_line_decrypts", "manager_admin_commands_do_what_their_options_say"]),
    ("serve manager", "--retention-days", &["retention_days_of_the_command_and_of_the_server_remove_old_contacts"]),
    ("serve manager", "--secure-cookies", &["manager_admin_commands_do_what_their_options_say"]),
    ("serve manager", "--login-attempts", &["the_right_password_works_after_the_window_and_a_restart_keeps_the_count"]),
    ("serve manager", "--login-window-secs", &["the_right_password_works_after_the_window_and_a_restart_keeps_the_count"]),
    ("serve manager", "--mail", &["serve_manager_mails_notifications_with_mail_and_mail_from_and_allows_loopback_webhooks_only_when_told"]),
    ("serve manager", "--mail-from", &["serve_manager_mails_notifications_with_mail_and_mail_from_and_allows_loopback_webhooks_only_when_told"]),
    ("serve manager", "--webhook-allow-private", &["serve_manager_mails_notifications_with_mail_and_mail_from_and_allows_loopback_webhooks_only_when_told"]),
    ("gallery publish", "--database", &["the_publish_command_line_adds_a_version_to_the_database"]),
    ("gallery publish", "--out", &["gallery_install_options_choose_the_app_version_and_tenant", "the_publish_command_line_builds_the_same_bytes_into_out"]),
    ("gallery publish", "--dry-run", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery install", "--device", &["the_install_command_line_installs_through_the_gallery"]),
    ("gallery install", "--serial", &["the_install_command_line_installs_through_the_gallery"]),
    ("gallery install", "--admin-password", &["the_install_command_line_installs_through_the_gallery"]),
    ("gallery install", "--gallery", &["the_install_command_line_installs_through_the_gallery"]),
    ("gallery install", "--api-key", &["the_install_command_line_installs_through_the_gallery"]),
    ("gallery install", "--ca-cert", &["gallery_install_trusts_the_ca_given_with_ca_cert"]),
    ("gallery install", "--tenant", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery install", "--auto-update", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery install", "--app-id", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery install", "--version", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery api-key", "--partner", &["the_api_key_command_creates_a_partner_scoped_key"]),
    ("gallery api-key", "--admin", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery api-key", "--label", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("gallery api-key", "--database", &["the_api_key_command_creates_a_partner_scoped_key"]),
    ("manager tenant add", "--name", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager tenant add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager tenant add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager tenant add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager tenant list", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager tenant list", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager tenant list", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager customer add", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager customer add", "--name", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager customer add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager customer add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager customer add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--customer", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--serial", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--model", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--location", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager device add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager device add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager user add", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager user add", "--email", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager user add", "--role", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager user add", "--password-stdin", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager user add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager user add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager user add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager api-key add", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager api-key add", "--name", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager api-key add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager api-key add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager api-key add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent add", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent add", "--customer", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent add", "--name", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager agent add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent list", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent list", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent list", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager agent list", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent revoke", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent revoke", "--agent", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent revoke", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager agent revoke", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager agent revoke", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email add", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email add", "--address", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email add", "--language", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email add", "--event", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email add", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email add", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager notification-email add", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email list", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email list", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email list", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager notification-email list", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email remove", "--partner", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email remove", "--id", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email remove", "--database", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager notification-email remove", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager notification-email remove", "--data-keys-file", &["manager_admin_commands_do_what_their_options_say"]),
    ("manager retention", "--database", &["retention_days_of_the_command_and_of_the_server_remove_old_contacts"]),
    ("manager retention", "--pg-schema", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("manager retention", "--data-keys-file", &["retention_days_of_the_command_and_of_the_server_remove_old_contacts"]),
    ("manager retention", "--days", &["retention_days_of_the_command_and_of_the_server_remove_old_contacts"]),
    ("agent enroll", "--manager", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("agent enroll", "--token", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("agent enroll", "--data-dir", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("agent run", "--target", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("agent run", "--port", &["run_options_do_what_they_say"]),
    ("agent run", "--community", &["run_options_do_what_they_say"]),
    ("agent run", "--interval", &["run_options_do_what_they_say"]),
    ("agent run", "--meter-interval", &["agent_run_collection_options_do_what_they_say"]),
    ("agent run", "--discovery-interval", &["agent_run_collection_options_do_what_they_say", "run_options_do_what_they_say"]),
    ("agent run", "--once", &["run_options_do_what_they_say"]),
    ("agent run", "--concurrency", &["agent_run_collection_options_do_what_they_say"]),
    ("agent run", "--rate", &["run_options_do_what_they_say"]),
    ("agent run", "--timeout-ms", &["agent_run_collection_options_do_what_they_say"]),
    ("agent run", "--retries", &["agent_run_collection_options_do_what_they_say"]),
    ("agent run", "--batch-size", &["run_options_do_what_they_say", "a_batch_size_the_manager_would_refuse_is_refused"]),
    ("agent run", "--queue-limit", &["run_options_do_what_they_say"]),
    ("agent run", "--no-upload", &["run_options_do_what_they_say"]),
    ("agent run", "--upload-only", &["run_options_do_what_they_say"]),
    ("agent run", "--data-dir", &["agent_run_collection_options_do_what_they_say"]),
    ("agent status", "--json", &["agent_run_collection_options_do_what_they_say"]),
    ("agent status", "--data-dir", &["agent_run_collection_options_do_what_they_say"]),
];

/// `(environment variable, tests that set it and fail if it were ignored)`.
#[rustfmt::skip]
const ENVIRONMENT: &[(&str, &[&str])] = &[
    ("SA_LOG_JSON", &["log_json_makes_the_server_log_json_lines"]),
    ("SA_WEBLET_DIR", &["demo_options_reach_the_services"]),
    ("SA_TLS_CERT", &["environment_variables_stand_for_their_options"]),
    ("SA_TLS_KEY", &["environment_variables_stand_for_their_options"]),
    ("SA_CA_CERT", &["environment_variables_stand_for_their_options"]),
    ("SA_DEVICE_ADMIN_PASSWORD", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("SA_MANAGER_API_KEYS", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("SA_CONFIG_KEYS", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("SA_CONTACT_KEYS", &["two_assistant_processes_on_one_postgres_outbox_with_a_slow_smtp_server_send_each_confirmation_once"]),
    ("SA_GALLERY_LISTEN", &["environment_variables_stand_for_their_options"]),
    ("SA_GALLERY_DATABASE_URL", &["environment_variables_stand_for_their_options"]),
    ("SA_GALLERY_SEAL_KEYS", &["gallery_install_options_choose_the_app_version_and_tenant"]),
    ("SA_GALLERY_SIGNING_KEYS", &["environment_variables_stand_for_their_options"]),
    ("SA_GALLERY_API_KEY", &["serve_gallery_starts_on_sqlite_and_accepts_its_api_key"]),
    ("SA_GALLERY_URL", &["environment_variables_stand_for_their_options"]),
    ("SA_MANAGER_LISTEN", &["environment_variables_stand_for_their_options"]),
    ("SA_MANAGER_DATABASE_URL", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("SA_MANAGER_PG_SCHEMA", &["manager_commands_keep_their_tables_in_the_pg_schema"]),
    ("SA_MANAGER_DATA_KEYS_FILE", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("SA_MANAGER_LOGIN_ATTEMPTS", &["environment_variables_stand_for_their_options"]),
    ("SA_MANAGER_LOGIN_WINDOW_SECS", &["environment_variables_stand_for_their_options"]),
    ("SA_MANAGER_MAIL", &["environment_variables_stand_for_their_options"]),
    ("SA_MANAGER_MAIL_FROM", &["environment_variables_stand_for_their_options"]),
    ("SA_MANAGER_WEBHOOK_ALLOW_PRIVATE", &["environment_variables_stand_for_their_options"]),
    ("SA_AGENT_TOKEN", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
    ("SA_AGENT_DATA_DIR", &["discovery_finds_exactly_the_printers_and_the_manager_stores_what_device_read_reports"]),
];

/// The help of one command, as a person reads it.
fn help(path: &[String]) -> String {
    let (ok, out, err) = run(bin().args(path).arg("--help"));
    assert!(ok, "{path:?} --help fails: {err}");
    out
}

/// The lines of one section (`Commands:`, `Options:`) of a help text.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// The subcommands a help text lists (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    section(help, "Commands:")
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The long options of a help text with the environment variable each names, if any. An option
/// line is `  -x, --name …` or `      --name …`; its text runs to the next option line.
fn options(help: &str) -> BTreeMap<String, Option<String>> {
    let mut found: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_options = false;
    for line in help.lines() {
        if line == "Options:" {
            in_options = true;
            continue;
        }
        if !in_options {
            continue;
        }
        let rest = line.strip_prefix("  ").and_then(|l| {
            l.strip_prefix("    ")
                .or_else(|| l.get(4..).filter(|_| l.starts_with('-')))
        });
        if let Some(option) = rest.and_then(|r| r.strip_prefix("--")) {
            let name = option
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .next()
                .unwrap_or_default();
            current = Some(format!("--{name}"));
            found.insert(format!("--{name}"), None);
        }
        if let (Some(option), Some(env)) = (&current, line.split("[env: ").nth(1)) {
            let name: String = env
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            found.insert(option.clone(), Some(name));
        }
    }
    found
}

/// Every command path (`""` for the binary) with its long options and their variables.
fn every_command() -> BTreeMap<String, BTreeMap<String, Option<String>>> {
    every_help()
        .iter()
        .map(|(command, text)| (command.clone(), options(text)))
        .collect()
}

/// Every command path with its `--help` text.
fn every_help() -> BTreeMap<String, String> {
    let mut commands = BTreeMap::new();
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    while let Some(path) = todo.pop() {
        assert!(commands.len() < 200, "more commands than expected");
        let text = help(&path);
        for sub in subcommands(&text) {
            let mut next = path.clone();
            next.push(sub);
            todo.push(next);
        }
        commands.insert(path.join(" "), text);
    }
    commands
}

/// What the help says of each long option, without the value name and the bracketed
/// `[default: …]`, `[env: …]` and `[possible values: …]`.
fn descriptions(help: &str) -> BTreeMap<String, String> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in help.lines().skip_while(|l| *l != "Options:").skip(1) {
        let trimmed = line.trim_start();
        let is_option = line.starts_with("  ")
            && (trimmed.starts_with("--")
                || (trimmed.starts_with('-') && trimmed.get(2..6) == Some(", --")));
        let mut text = trimmed;
        if is_option {
            let start = trimmed.find("--").unwrap_or(0);
            let name: String = trimmed[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            text = trimmed[start + name.len()..].trim_start();
            if text.starts_with('<') {
                text = text.split_once('>').map_or("", |(_, rest)| rest);
            }
            found.insert(name.clone(), String::new());
            current = Some(name);
        }
        if let Some(option) = &current {
            let mut said = text.to_string();
            while let Some(open) = said.find('[') {
                let close = said[open..].find(']').map_or(said.len(), |c| open + c + 1);
                said.replace_range(open..close, "");
            }
            if let Some(entry) = found.get_mut(option) {
                entry.push_str(said.trim());
            }
        }
    }
    found
}

#[test]
fn every_option_in_help_says_what_it_does() {
    let mut silent = Vec::new();
    for (command, text) in every_help() {
        for (option, said) in descriptions(&text) {
            if said.trim().is_empty() {
                silent.push(format!("`{command} {option}`"));
            }
        }
    }
    assert!(
        silent.is_empty(),
        "options whose --help says nothing (give them a doc comment): {}",
        silent.join(", ")
    );
}

/// The names of every `fn` in the workspace's sources and tests.
fn functions() -> BTreeSet<String> {
    fn walk(dir: &Path, names: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, names);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for part in text.split("fn ").skip(1) {
                    let name: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    names.insert(name);
                }
            }
        }
    }
    let mut names = BTreeSet::new();
    let crates = root().join("crates");
    for entry in std::fs::read_dir(&crates).expect("crates").flatten() {
        walk(&entry.path().join("src"), &mut names);
        walk(&entry.path().join("tests"), &mut names);
    }
    names
}

/// Options that are clap's, not ours (`--help`, the binary's `--version`), and the global
/// `--log-json` every subcommand shows (listed once, under the binary).
fn inherited(command: &str, option: &str) -> bool {
    option == "--help"
        || (command.is_empty() && option == "--version")
        || (option == "--log-json" && !command.is_empty())
}

#[test]
fn every_option_in_help_names_a_test_that_exists() {
    let commands = every_command();
    let functions = functions();
    let mut table: BTreeMap<(String, String), &[&str]> = BTreeMap::new();
    for (command, option, tests) in OPTIONS {
        let previous = table.insert((command.to_string(), option.to_string()), tests);
        assert!(previous.is_none(), "{command} {option} is listed twice");
    }
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (command, options) in &commands {
        for option in options.keys().filter(|o| !inherited(command, o)) {
            let key = (command.clone(), option.clone());
            match table.get(&key) {
                None => problems.push(format!(
                    "`{command} {option}` is in --help but names no test: add it to OPTIONS with the test that fails if it were ignored"
                )),
                Some([]) => problems.push(format!("`{command} {option}` names no test")),
                Some(_) => {}
            }
            seen.insert(key);
        }
    }
    for ((command, option), tests) in &table {
        if !seen.contains(&(command.clone(), option.clone())) {
            problems.push(format!(
                "`{command} {option}` is in OPTIONS but not in --help"
            ));
        }
        for test in *tests {
            if !functions.contains(*test) {
                problems.push(format!(
                    "`{command} {option}`: no `fn {test}` in crates/*/src or crates/*/tests"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        seen.len() > 100,
        "only {} options found: is the help parsed?",
        seen.len()
    );
}

#[test]
fn every_environment_variable_in_help_names_a_test_and_is_in_the_readme() {
    let variables: BTreeSet<String> = every_command()
        .values()
        .flat_map(|options| options.values().flatten().cloned())
        .collect();
    let functions = functions();
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let table: BTreeMap<&str, &[&str]> = ENVIRONMENT.iter().copied().collect();
    let mut problems = Vec::new();
    for variable in &variables {
        if !variable.starts_with("SA_") {
            problems.push(format!("{variable} does not use the prefix SA_"));
        }
        match table.get(variable.as_str()) {
            None => problems.push(format!("{variable} is in --help but names no test")),
            Some(tests) => problems.extend(
                tests
                    .iter()
                    .filter(|t| !functions.contains(**t))
                    .map(|t| format!("{variable}: no `fn {t}`")),
            ),
        }
        if !readme.contains(&format!("`{variable}`")) {
            problems.push(format!(
                "{variable} is not in the README's list of variables"
            ));
        }
    }
    for variable in table.keys() {
        if !variables.contains(*variable) {
            problems.push(format!("{variable} is in ENVIRONMENT but not in --help"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README's command lines (code blocks, and commands in backticks), each as the words after
/// the binary's name.
fn readme_commands(readme: &str) -> Vec<Vec<String>> {
    const PREFIXES: [&str; 3] = [
        "$ support-assistant ",
        "support-assistant ",
        "cargo run --release -p support-assistant -- ",
    ];
    let mut commands = Vec::new();
    let mut pending = String::new();
    for line in readme.lines() {
        let Some(code) = line.strip_prefix("    ") else {
            pending.clear();
            continue;
        };
        pending.push_str(code.trim());
        if pending.ends_with('\\') {
            pending.pop();
            pending.push(' ');
            continue;
        }
        if let Some(rest) = PREFIXES.iter().find_map(|p| pending.strip_prefix(p)) {
            commands.push(rest.split_whitespace().map(str::to_string).collect());
        }
        pending.clear();
    }
    // Commands in backticks in the text, e.g. `manager notification-email add --partner P …`.
    let text = readme.replace('\n', " ");
    for quoted in text.split('`').skip(1).step_by(2) {
        let mut words: Vec<String> = quoted.split_whitespace().map(str::to_string).collect();
        if words.first().is_some_and(|w| w == "support-assistant") {
            words.remove(0);
        }
        if ["demo", "device", "serve", "gallery", "manager", "agent"]
            .contains(&words.first().map(String::as_str).unwrap_or_default())
        {
            commands.push(words);
        }
    }
    commands
}

#[test]
fn every_command_line_in_the_readme_names_real_subcommands_and_options() {
    let commands = every_command();
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme_commands(&readme);
    assert!(
        lines.len() >= 15,
        "only {} commands found in the README",
        lines.len()
    );
    let mut problems = Vec::new();
    for words in &lines {
        let shown = words.join(" ");
        let mut path: Vec<String> = Vec::new();
        let mut rest = words.as_slice();
        // The subcommands first: `device read`, `manager agent add|list|revoke`.
        while let Some(word) = rest.first() {
            let candidate = |w: &str| {
                let mut p = path.clone();
                p.push(w.to_string());
                commands.contains_key(&p.join(" "))
            };
            if candidate(word) {
                path.push(word.clone());
                rest = &rest[1..];
            } else if word.contains('|') && !word.starts_with('-') {
                for alternative in word.split('|') {
                    if !candidate(alternative) {
                        problems.push(format!("`{shown}`: no subcommand `{alternative}`"));
                    }
                }
                rest = &[];
            } else {
                break;
            }
        }
        let command = path.join(" ");
        let Some(options) = commands.get(&command) else {
            problems.push(format!("`{shown}`: no command `{command}`"));
            continue;
        };
        for word in rest {
            // Prose in parentheses after a command ends it: `(tenants, customers, …)`.
            if word.starts_with('(') && !word.starts_with("(--") {
                break;
            }
            let option = word.trim_start_matches(['[', '(']);
            let Some(name) = option.strip_prefix("--") else {
                continue;
            };
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let name = format!("--{name}");
            if !options.contains_key(&name) && name != "--help" {
                problems.push(format!("`{shown}`: `{command}` has no option {name}"));
            }
        }
    }
    // The scripts and the example it names exist.
    for word in readme.split(|c: char| c.is_whitespace() || c == '`' || c == '(' || c == ')') {
        if word.starts_with("scripts/") && word.ends_with(".sh") && !root().join(word).is_file() {
            problems.push(format!("the README names {word}, which does not exist"));
        }
    }
    if readme.contains("--example bench")
        && !root().join("crates/assistant/examples/bench.rs").is_file()
    {
        problems.push(
            "the README names `--example bench` of the assistant, which does not exist".into(),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The README's `device read` example, run as written against the same recording: every line
/// the README shows (not the `…` that stand for more) is printed.
#[test]
fn the_readme_device_read_example_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let example: Vec<&str> = readme
        .lines()
        .skip_while(|l| {
            !l.trim_start()
                .starts_with("$ support-assistant device read")
        })
        .skip(1)
        .take_while(|l| l.starts_with("    ") || l.is_empty())
        .filter(|l| !l.trim().is_empty() && !l.trim().starts_with('…'))
        .map(|l| &l[4..])
        .collect();
    assert!(
        example.len() >= 8,
        "the README's example output: {example:?}"
    );
    let (_device, addr) = serve_device(
        &root().join("fixtures/xerox-altalink-c8055-meters.snmprec"),
        &[],
    );
    let (ok, out, err) = run(bin().args(["device", "read", "--target", &addr]));
    assert!(ok, "{err}");
    let printed: Vec<&str> = out.lines().collect();
    for line in example {
        assert!(
            printed.contains(&line),
            "the README shows {line:?}, the binary prints:\n{out}"
        );
    }
}
