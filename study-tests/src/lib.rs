//! The checks that every runtime binary must pass, written once, by topic.
//!
//! Each runtime crate's `tests/lesson.rs` is one line, [`runtime_tests!`], which makes
//! every check a test of that crate's binary (from `CARGO_BIN_EXE_*`): a new check reaches
//! every runtime at once. Every check runs the real binary, offline, against a fixture
//! server on `127.0.0.1:0`, and every wait is bounded. `tests/agree.rs` checks that the
//! runtimes' reports agree, and that none of the study's lists leaves a runtime out.
//!
//! Timings are only compared with wide margins: these are tests, not benchmarks.

#![allow(
    clippy::unwrap_used,
    reason = "test support: a failed unwrap is a failed test, with its line"
)]

pub mod adapter;
pub mod agreement;
pub mod binary;
pub mod cli;
pub mod cpu;
pub mod faults;
pub mod https;
pub mod lesson;
pub mod load;
pub mod micro;
pub mod pki;
pub mod reactive;
pub mod scale;
pub mod sentinel;
pub mod sleep;
pub mod starve;
pub mod trace;
pub mod walls;
pub mod workspace;

pub use binary::{Binary, Output, each_at_once, output_within, strace_runs};
pub use fetch_core::ClientKind;

/// Makes the checks that load the machine `#[test]`s of one runtime binary, given its
/// path: `study_tests::busy_machine_tests!(env!("CARGO_BIN_EXE_runtime-tokio"));`, in a
/// test file of its own (`tests/busy_machine.rs`). cargo runs one test binary at a time,
/// so nothing else runs beside them: their busy loops would make the other checks late,
/// and the other checks would make their timeouts unfair.
#[macro_export]
macro_rules! busy_machine_tests {
    ($binary:expr) => {
        /// The binary under test.
        const BINARY: $crate::Binary = $crate::Binary($binary);

        #[test]
        fn a_connect_storm_on_a_busy_machine_loses_nothing() {
            $crate::scale::check_connect_storm_on_a_busy_machine(BINARY);
        }
    };
}

/// Makes every check of this crate a `#[test]` of one runtime binary, given its path:
/// `study_tests::runtime_tests!(env!("CARGO_BIN_EXE_runtime-tokio"));`
#[macro_export]
macro_rules! runtime_tests {
    ($binary:expr) => {
        /// The binary under test.
        const BINARY: $crate::Binary = $crate::Binary($binary);

        #[test]
        fn default_run_fetches_sleeps_and_stays_on_one_thread() {
            $crate::lesson::check_default_run(BINARY);
        }

        #[test]
        fn spawn_gather_uses_local_tasks_on_the_same_thread() {
            $crate::lesson::check_spawn_gather(BINARY);
        }

        #[test]
        fn text_output_follows_the_lesson() {
            $crate::lesson::check_text_output(BINARY);
        }

        #[test]
        fn the_gather_example_plays_the_seeds_two_cells() {
            $crate::lesson::check_gather_example(BINARY);
        }

        #[test]
        fn the_census_matches_the_readme_for_every_client() {
            $crate::lesson::check_census_matches_the_readme(BINARY);
        }

        #[test]
        fn no_client_makes_the_executor_spin() {
            $crate::lesson::check_no_busy_loop(BINARY);
        }

        #[test]
        fn each_error_is_reported_on_its_url_and_the_rest_still_print() {
            $crate::faults::check_errors(BINARY);
        }

        #[test]
        fn hyper_meets_every_fault_with_a_clear_error() {
            $crate::faults::check_fault_matrix(BINARY, "hyper");
        }

        #[test]
        fn isahc_meets_every_fault_with_a_clear_error() {
            $crate::faults::check_fault_matrix(BINARY, "isahc");
        }

        #[test]
        fn surf_meets_every_fault_with_a_clear_error() {
            $crate::faults::check_fault_matrix(BINARY, "surf");
        }

        #[test]
        fn hyper_meets_each_fault_alone_and_between_good_urls() {
            $crate::faults::check_each_route_in_its_own_run(BINARY, "hyper");
        }

        #[test]
        fn isahc_meets_each_fault_alone_and_between_good_urls() {
            $crate::faults::check_each_route_in_its_own_run(BINARY, "isahc");
        }

        #[test]
        fn surf_meets_each_fault_alone_and_between_good_urls() {
            $crate::faults::check_each_route_in_its_own_run(BINARY, "surf");
        }

        #[test]
        fn hyper_speaks_https_and_refuses_bad_certificates() {
            $crate::https::check_https(BINARY, "hyper");
        }

        #[test]
        fn isahc_speaks_https_and_refuses_bad_certificates() {
            $crate::https::check_https(BINARY, "isahc");
        }

        #[test]
        fn surf_speaks_https_and_refuses_bad_certificates() {
            $crate::https::check_https(BINARY, "surf");
        }

        #[test]
        fn every_client_meets_https_without_close_notify() {
            $crate::each_at_once(&$crate::ClientKind::ALL_NAMES, |client| {
                $crate::https::check_https_without_close_notify(BINARY, client)
            });
        }

        #[test]
        fn a_connection_that_never_completes_times_out() {
            $crate::each_at_once(&$crate::ClientKind::ALL_NAMES, |client| {
                $crate::faults::check_connect_timeout(BINARY, client)
            });
        }

        #[test]
        fn help_explains_and_bad_flags_are_refused() {
            $crate::cli::check_cli(BINARY);
        }

        #[test]
        fn each_subcommand_refuses_the_flags_it_cannot_honour() {
            $crate::cli::check_flags_per_subcommand(BINARY);
        }

        #[test]
        fn every_refusal_advises_with_its_own_subcommands_flags_and_says_its_cause_once() {
            $crate::cli::check_refusals_name_their_own_flags(BINARY);
        }

        #[test]
        fn the_sleep_demo_runs_alone() {
            $crate::sleep::check_sleep_subcommand(BINARY);
        }

        #[test]
        fn a_hog_starves_the_other_tasks_and_the_fixes_work() {
            $crate::starve::check_starvation(BINARY);
        }

        #[test]
        fn debug_mode_warns_of_the_hog_and_of_nothing_in_the_lesson() {
            $crate::starve::check_debug_mode(BINARY);
        }

        #[test]
        fn reactive_tasks_share_the_thread() {
            $crate::reactive::check_reactive(BINARY);
        }

        #[test]
        fn reactive_task_errors_are_reported() {
            $crate::reactive::check_reactive_errors(BINARY);
        }

        #[test]
        fn each_reactive_task_ends_at_the_timeout() {
            $crate::reactive::check_reactive_timeout(BINARY);
        }

        #[test]
        fn scale_mode_fetches_and_sleeps_by_the_thousand() {
            $crate::scale::check_scale(BINARY);
        }

        #[test]
        fn thousands_of_fetches_at_once_lose_nothing() {
            $crate::scale::check_thousands_at_once_lose_nothing(BINARY);
        }

        #[test]
        fn the_lessons_trace_has_every_poll_on_the_executor_and_a_wake_before_it() {
            $crate::trace::check_trace_of_the_lesson(BINARY);
        }

        #[test]
        fn the_trace_shows_no_task_polled_while_the_hog_keeps_the_thread() {
            $crate::trace::check_trace_of_the_hog(BINARY);
        }

        #[test]
        fn most_wakes_of_the_lesson_say_what_woke_them() {
            $crate::trace::check_wake_sources_of_the_lesson(BINARY);
        }

        #[test]
        fn the_study_adapter_makes_no_read_that_fails() {
            $crate::adapter::check_study_adapter_makes_no_failing_read(BINARY);
        }

        #[test]
        fn the_study_adapter_reads_answers_in_pieces_to_the_byte() {
            $crate::adapter::check_study_adapter_reads_answers_in_pieces(BINARY);
        }

        #[test]
        fn the_study_adapter_meets_every_fault_with_a_clear_error() {
            $crate::adapter::check_fault_matrix_with_the_study_adapter(BINARY);
        }

        #[test]
        fn kept_alive_connections_carry_every_request() {
            $crate::load::check_load_keeps_connections_alive(BINARY);
        }

        #[test]
        fn a_server_that_closes_each_connection_costs_reconnects_only() {
            $crate::load::check_load_reconnects_to_a_server_that_closes(BINARY);
        }

        #[test]
        fn a_stalled_request_ends_at_the_timeout_by_sweep_or_by_timer() {
            $crate::load::check_load_timeouts_end_stalled_requests(BINARY);
        }

        #[test]
        fn a_run_that_needs_too_many_files_is_refused_with_the_numbers() {
            $crate::scale::check_out_of_files(BINARY);
        }
    };
}
