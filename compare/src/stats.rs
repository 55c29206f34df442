//! Medians, of several runs of one configuration.

use anyhow::bail;

use crate::measure::Measured;

/// The median of `values`; of no values, an error that says of what.
pub(crate) fn median(mut values: Vec<f64>, what: &str) -> anyhow::Result<f64> {
    values.sort_by(f64::total_cmp);
    Ok(match values.len() {
        0 => bail!("no samples of {what}: a median of nothing is not 0"),
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    })
}

/// The median of a measurement across samples.
pub(crate) fn median_of(
    samples: &[Measured],
    what: &str,
    pick: impl Fn(&Measured) -> f64,
) -> anyhow::Result<f64> {
    median(samples.iter().map(pick).collect(), what)
}

/// The median of a field across reports.
pub(crate) fn median_in<T>(
    reports: &[T],
    what: &str,
    pick: impl Fn(&T) -> f64,
) -> anyhow::Result<f64> {
    median(reports.iter().map(pick).collect(), what)
}

/// How many samples exited with a non-zero code.
pub(crate) fn failed_runs(samples: &[Measured]) -> usize {
    samples.iter().filter(|s| s.code != Some(0)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_and_refuses_nothing() {
        assert_eq!(median(vec![3.0, 1.0, 2.0], "x").unwrap(), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0], "x").unwrap(), 2.5);
        let err = median(Vec::new(), "speedup").unwrap_err().to_string();
        assert_eq!(err, "no samples of speedup: a median of nothing is not 0");
    }
}
