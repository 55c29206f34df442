//! The process's open-files limit: raised to the hard limit at start, reported, and checked
//! before a run that needs thousands of sockets, so that it is refused with the numbers
//! instead of failing thousands of fetches with "too many open files".

use std::sync::OnceLock;

use nix::sys::resource::{Resource, getrlimit, setrlimit};
use serde::{Deserialize, Serialize};

/// The open-files limit (`RLIMIT_NOFILE`) this process runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenFiles {
    /// How many descriptors the process may have open: the soft limit, after raising it.
    pub soft: u64,
    /// The most the soft limit may be raised to without privileges.
    pub hard: u64,
    /// The soft limit before it was raised, if it was.
    #[serde(deserialize_with = "Option::deserialize")]
    pub raised_from: Option<u64>,
}

/// The process's open-files limit, raised to the hard limit by the first call.
pub fn open_files() -> OpenFiles {
    static LIMITS: OnceLock<OpenFiles> = OnceLock::new();
    *LIMITS.get_or_init(raise_open_files)
}

/// Raises the soft open-files limit to the hard limit, and says what the limit now is.
/// Where the limit cannot be read, it says 0 of 0, and nothing is raised.
fn raise_open_files() -> OpenFiles {
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return OpenFiles {
            soft: 0,
            hard: 0,
            raised_from: None,
        };
    };
    if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        return OpenFiles {
            soft: hard,
            hard,
            raised_from: Some(soft),
        };
    }
    OpenFiles {
        soft,
        hard,
        raised_from: None,
    }
}

/// The descriptors a process keeps besides its sockets: stdio, the runtime's epoll and
/// event descriptors, pipes, the executable, with room to spare.
pub const SPARE_FILES: u64 = 64;

impl OpenFiles {
    /// Refuses `sockets` sockets open at once, with a sentence that says what to do (`advice`,
    /// in the flags of the subcommand that refuses, then raising the limit), when they and
    /// [`SPARE_FILES`] do not fit under the soft limit.
    pub fn check(&self, sockets: u64, what: &str, advice: &str) -> Result<(), String> {
        let needed = sockets + SPARE_FILES;
        if self.soft == 0 || needed <= self.soft {
            return Ok(());
        }
        Err(format!(
            "{what} needs about {needed} open files ({sockets} sockets at once and {SPARE_FILES} \
             spare), and this process may open {} (hard limit {}): {advice}, or raise the limit \
             (ulimit -n)",
            self.soft, self.hard
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raising_reaches_the_hard_limit_and_the_check_names_the_numbers() {
        let limits = open_files();
        assert_eq!(limits.soft, limits.hard);
        assert_eq!(open_files(), limits, "raised once, then the same");
        assert!(limits.check(10, "a run", "lower it").is_ok());
        let small = OpenFiles {
            soft: 200,
            hard: 200,
            raised_from: None,
        };
        let refused = small
            .check(300, "scale --count 300", "lower --count")
            .unwrap_err();
        assert!(
            refused.starts_with("scale --count 300 needs about 364 open files"),
            "{refused}"
        );
        assert!(
            refused.contains("this process may open 200 (hard limit 200)"),
            "{refused}"
        );
    }
}
