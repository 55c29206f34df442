//! The load step's latency picture, as an SVG: for each open-loop rate against the first
//! server, one line per runtime through its p50, p90, p99, p99.9 and max latency, on a
//! logarithmic scale. A flat line is an even service; a line that climbs at the right is a
//! tail.

use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;

use crate::load_run::LoadRow;

/// The percentiles on the x axis, in order, with their labels.
const PERCENTILES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];

/// One colour per line, in the order the runtimes come.
const COLOURS: [RGBColor; 6] = [BLUE, RED, GREEN, MAGENTA, CYAN, BLACK];

/// Draws the open loop's latencies into an SVG file at `path`: a panel per rate, a line per
/// runtime. Nothing is drawn when the step ran no open loop.
pub(crate) fn draw(path: &Path, rows: &[LoadRow]) -> anyhow::Result<()> {
    let Some(server) = rows.first().map(|row| row.server) else {
        return Ok(());
    };
    let mut rates: Vec<f64> = Vec::new();
    for row in rows.iter().filter(|r| r.server == server) {
        if let Some(rate) = row.rate
            && !rates.contains(&rate)
        {
            rates.push(rate);
        }
    }
    if rates.is_empty() {
        return Ok(());
    }
    let height = 60 + 320 * rates.len() as u32;
    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE).context("cannot draw the latencies")?;
    let panels = root.split_evenly((rates.len(), 1));
    for (rate, panel) in rates.iter().zip(panels.iter()) {
        let lines: Vec<(&str, [u64; 5])> = rows
            .iter()
            .filter(|r| r.server == server && r.rate == Some(*rate))
            .filter_map(|r| {
                let points = [r.p50_us?, r.p90_us?, r.p99_us?, r.p999_us?, r.max_us?];
                Some((r.client.as_str(), points))
            })
            .collect();
        panel_for(panel, server, *rate, &lines)
            .map_err(|err| anyhow::anyhow!("cannot draw the latencies: {err}"))?;
    }
    root.present().context("cannot write the latencies")?;
    Ok(())
}

/// Draws one rate's panel.
fn panel_for(
    panel: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    server: &str,
    rate: f64,
    lines: &[(&str, [u64; 5])],
) -> Result<(), Box<dyn std::error::Error>> {
    let highest = lines
        .iter()
        .flat_map(|(_, points)| points.iter().copied())
        .max()
        .unwrap_or(1_000)
        .max(1_000) as f64;
    let mut chart = ChartBuilder::on(panel)
        .caption(
            format!(
                "latency from when each request was due, {rate:.0} requests/s on 100 kept-alive \
                 connections to {server}"
            ),
            ("sans-serif", 16),
        )
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.2..4.2_f64, (50.0..highest * 1.5).log_scale())?;
    chart
        .configure_mesh()
        .x_labels(PERCENTILES.len())
        .x_label_formatter(&|x| {
            let index = x.round();
            if (x - index).abs() < 0.01 && (0.0..5.0).contains(&index) {
                PERCENTILES[index as usize].to_owned()
            } else {
                String::new()
            }
        })
        .y_desc("microseconds (log scale)")
        .draw()?;
    for (index, (client, points)) in lines.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        let series = points
            .iter()
            .enumerate()
            .map(|(x, y)| (x as f64, (*y).max(1) as f64));
        chart
            .draw_series(LineSeries::new(series, colour.stroke_width(2)))?
            .label(*client)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}
