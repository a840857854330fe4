//! The work bounds of one evaluation and of one policy (see the module doc
//! of `policy` for why a time bound is safe here).

use super::findings::regorus_error;
use super::load::{BOUND_HINT, Rule};
use crate::diagnostic::Location;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long one evaluation (one rule on one object) may run. A conftest
/// rule over one object is a few comparisons; this is orders of magnitude
/// more than any real one needs, and short enough that what a runaway
/// allocates meanwhile stays small.
pub(super) const EVALUATION_TIME: Duration = Duration::from_secs(1);

/// How long one policy may evaluate in all, over every object and thread:
/// a policy that is merely slow on each object still ends.
pub(super) const POLICY_TIME: Duration = Duration::from_secs(60);

/// Interpreter steps between two reads of the clock: reading it on every
/// step would cost more than the step.
pub(super) const CHECK_INTERVAL: NonZeroU32 = NonZeroU32::new(32).unwrap();

/// The most numbers one call of `numbers.range` or `numbers.range_step` may
/// make. regorus allocates the whole array before the call returns, so the
/// time bound cannot stop it; this one is exact, checked before anything is
/// allocated.
pub(super) const MAX_RANGE: u64 = 1_000_000;

pub(super) fn timer(limit: Duration) -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit,
        check_interval: CHECK_INTERVAL,
    }
}

/// Why an evaluation failed.
pub(super) enum Failure {
    /// An error of the policy: regorus's text.
    Error(String),
    /// A bound was hit: where, and the message.
    Limit(Location, String),
}

/// Evaluate `rule` on `engine`'s input within the time `spent` leaves of
/// [`POLICY_TIME`], adding the time it takes to `spent`.
pub(super) fn eval_bounded(
    engine: &mut regorus::Engine,
    rule: &Rule,
    spent: &AtomicU64,
) -> Result<regorus::Value, Failure> {
    let ran_too_long = || {
        Failure::Limit(
            rule.at.clone(),
            format!(
                "policy ran too long (a loop without end, or over something very large?); kprov stops a rule after {}s on one object and a policy after {}s in all, so that one policy cannot hold up every pull request: {BOUND_HINT}",
                EVALUATION_TIME.as_secs(),
                POLICY_TIME.as_secs()
            ),
        )
    };
    let left = POLICY_TIME.saturating_sub(Duration::from_nanos(spent.load(Ordering::Relaxed)));
    if left.is_zero() {
        return Err(ran_too_long());
    }
    if left < EVALUATION_TIME {
        engine.set_execution_timer_config(timer(left));
    }
    let started = Instant::now();
    let result = engine.eval_rule(rule.query.clone());
    let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    spent.fetch_add(took, Ordering::Relaxed);
    result.map_err(|e| {
        let text = format!("{e:#}");
        // regorus passes the timer's error on as it is, or as text when it
        // stopped inside a function call.
        let timed_out = e
            .chain()
            .any(|c| c.downcast_ref::<regorus::LimitError>().is_some())
            || text.contains("execution exceeded time limit");
        if timed_out {
            return ran_too_long();
        }
        match text.contains(BOUND_HINT) {
            true => {
                let (at, message) = regorus_error(&rule.at.file, &text);
                Failure::Limit(at, message)
            }
            false => Failure::Error(text),
        }
    })
}
