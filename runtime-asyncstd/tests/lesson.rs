//! The lesson on this runtime, checked through the real binary. The checks themselves are
//! in study-tests, the same for the three runtimes.
//!
//! Run with: `cargo test -p runtime-asyncstd`

use study_tests::Binary;

/// The binary under test.
const BINARY: Binary = Binary(env!("CARGO_BIN_EXE_runtime-asyncstd"));

#[test]
fn default_run_fetches_sleeps_and_stays_on_one_thread() {
    study_tests::check_default_run(BINARY);
}

#[test]
fn spawn_gather_uses_local_tasks_on_the_same_thread() {
    study_tests::check_spawn_gather(BINARY);
}

#[test]
fn text_output_follows_the_lesson() {
    study_tests::check_text_output(BINARY);
}

#[test]
fn each_error_is_reported_on_its_url_and_the_rest_still_print() {
    study_tests::check_errors(BINARY);
}

#[test]
fn help_explains_and_bad_flags_are_refused() {
    study_tests::check_cli(BINARY);
}

#[test]
fn hyper_meets_every_fault_with_a_clear_error() {
    study_tests::check_fault_matrix(BINARY, "hyper");
}

#[test]
fn hyper_speaks_https_and_refuses_bad_certificates() {
    study_tests::check_https(BINARY, "hyper");
}

#[test]
fn isahc_meets_every_fault_with_a_clear_error() {
    study_tests::check_fault_matrix(BINARY, "isahc");
}

#[test]
fn isahc_speaks_https_and_refuses_bad_certificates() {
    study_tests::check_https(BINARY, "isahc");
}

#[test]
fn surf_meets_every_fault_with_a_clear_error() {
    study_tests::check_fault_matrix(BINARY, "surf");
}

#[test]
fn surf_speaks_https_and_refuses_bad_certificates() {
    study_tests::check_https(BINARY, "surf");
}

#[test]
fn the_census_shows_where_each_client_does_its_io() {
    study_tests::check_client_threads(BINARY);
}

#[test]
fn the_sleep_demo_runs_alone() {
    study_tests::check_sleep_subcommand(BINARY);
}

#[test]
fn a_hog_starves_the_other_tasks_and_the_fixes_work() {
    study_tests::check_starvation(BINARY);
}

#[test]
fn reactive_tasks_share_the_thread() {
    study_tests::check_reactive(BINARY);
}

#[test]
fn reactive_task_errors_are_reported() {
    study_tests::check_reactive_errors(BINARY);
}

#[test]
fn a_connection_that_never_completes_times_out() {
    for client in ["hyper", "isahc", "surf"] {
        study_tests::check_connect_timeout(BINARY, client);
    }
}

#[test]
fn scale_mode_fetches_and_sleeps_by_the_thousand() {
    study_tests::check_scale(BINARY);
}

#[test]
fn running_out_of_file_descriptors_says_what_to_do() {
    study_tests::check_out_of_files(BINARY);
}
