//! The top of the crate: the report of a run, whichever demo ran. It only composes the demos'
//! own report types; nothing in the crate imports it back.

use std::process::ExitCode;

use serde::Serialize;

use crate::lesson::LessonReport;
use crate::load::LoadReport;
use crate::reactive::ReactiveReport;
use crate::report::{self, DemoReport, Failures};
use crate::scale::ScaleReport;
use crate::sleep::SleepDemoReport;
use crate::starve::StarveReport;

/// What any demo found: the lesson's report, or another demo's. It prints as the demo's
/// own report does.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RunReport {
    /// The lesson: fetches, sleep demo, census.
    Lesson(LessonReport),
    /// The sleep demo alone.
    Sleep(SleepDemoReport),
    /// The starvation demo.
    Starve(StarveReport),
    /// The reactive-tasks demo.
    Reactive(ReactiveReport),
    /// The scale mode.
    Scale(ScaleReport),
    /// The load demo (boxed: its report is the largest, and the others need not carry its
    /// size).
    Load(Box<LoadReport>),
}

impl DemoReport for RunReport {
    fn failures(&self) -> Failures {
        match self {
            RunReport::Lesson(report) => report.failures(),
            RunReport::Sleep(report) => report.failures(),
            RunReport::Starve(report) => report.failures(),
            RunReport::Reactive(report) => report.failures(),
            RunReport::Scale(report) => report.failures(),
            RunReport::Load(report) => report.failures(),
        }
    }
}

impl RunReport {
    /// Prints the end of the run and says how the process should exit: see
    /// [`report::finish`].
    pub fn finish(&self, json: bool) -> ExitCode {
        report::finish(self, json)
    }
}
