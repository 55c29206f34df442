//! The lesson's timeline as an SVG: one panel per runtime, one lane per fetch, a bar from
//! each fetch's start to its end. The concurrent fetches sit above the sequential ones, so
//! the overlap that the seed talks about can be seen.

use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;

use fetch_core::lesson::LessonReport;
use fetch_core::session::PhaseReport;

/// The lanes of one panel: four fetches at once above, the same four in turn below.
const LANES: f64 = 8.0;

/// Draws one panel per lesson report (one per runtime) into an SVG file at `path`.
pub(crate) fn draw(path: &Path, runs: &[LessonReport]) -> anyhow::Result<()> {
    let height = 40 + 230 * runs.len().max(1) as u32;
    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE).context("cannot draw the timeline")?;
    let panels = root.split_evenly((runs.len().max(1), 1));
    for (report, panel) in runs.iter().zip(panels.iter()) {
        panel_for(panel, report)
            .map_err(|err| anyhow::anyhow!("cannot draw the timeline: {err}"))?;
    }
    root.present().context("cannot write the timeline")?;
    Ok(())
}

/// A fetch's lane label, start and end.
type Bar = (String, f64, f64);

/// The bars of one phase of a lesson report.
fn bars(phase: &PhaseReport, label: &str) -> Vec<Bar> {
    phase
        .fetches
        .iter()
        .map(|fetch| {
            let url = fetch.url.as_str();
            let name = url.rsplit('/').next().unwrap_or(url);
            let name = name.split('?').next().unwrap_or(name);
            (format!("{label}: {name}"), fetch.start_ms, fetch.end_ms)
        })
        .collect()
}

/// Draws one runtime's panel.
fn panel_for(
    panel: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    report: &LessonReport,
) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = report.runtime.as_str();
    let concurrent = bars(&report.concurrent, "concurrent");
    let sequential = bars(&report.sequential, "sequential");
    let end = concurrent
        .iter()
        .chain(&sequential)
        .map(|(_, _, end)| *end)
        .fold(100.0, f64::max);
    // Lanes from the top: the concurrent fetches first, then the sequential ones.
    let lanes: Vec<&Bar> = concurrent.iter().chain(&sequential).collect();
    let label_of = |y: &f64| {
        let lane = (LANES - 1.0 - y.floor()) as usize;
        lanes
            .get(lane)
            .map(|(label, ..)| label.clone())
            .unwrap_or_default()
    };
    let mut chart = ChartBuilder::on(panel)
        .caption(
            format!("{runtime}: the four fetches at once, then one after the other"),
            ("sans-serif", 16),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(190)
        .build_cartesian_2d(0.0..end * 1.05, 0.0..LANES)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(lanes.len() * 2 + 1)
        .y_label_formatter(&|y| {
            if (y.fract() - 0.5).abs() < 0.01 {
                label_of(y)
            } else {
                String::new()
            }
        })
        .x_desc("milliseconds since the start of the run")
        .draw()?;
    for (lane, (label, start, end)) in lanes.iter().enumerate() {
        let top = LANES - lane as f64;
        let color = if label.starts_with("concurrent") {
            BLUE
        } else {
            RED
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(*start, top - 0.8), (*end, top - 0.2)],
            color.mix(0.7).filled(),
        )))?;
    }
    Ok(())
}
