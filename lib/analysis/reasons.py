"""Which crash drove it: a change of crash rate between two releases, split by crash reason.

For one verdict of ``release_comparisons`` (a channel, a platform, main or content
crashes, the newest release against the previous one over the same release ages),
each crash reason gets both releases' crashes of that reason over those ages, both
rates per 1,000 hours of those ages, and the **difference** of the two rates. The
differences add up to the change of the total rate, so each reason's **share of the
change** is its difference over the total's.

**Intervals that do not pretend.** Crashes cluster on machines: one client crashing
100 times on one reason is 100 crashes of one cause, not 100 independent events. The
total's intervals in ``release_comparisons`` are cluster-robust (from
``crash_client_sums``); how much wider they are than Poisson's is the total's
overdispersion, and each reason's Poisson variance is inflated by it, per release
(never below 1). A reason is then

* ``new``: no crash of it in the previous release over the same ages, at least
  ``min_crashes`` in the newest, and an interval of the difference above 0;
* ``grown`` / ``shrunk``: the interval of the difference above / below 0;
* ``steady``: the interval holds 0.

Reasons with fewer than ``min_reason_crashes`` crashes on both sides together are
pooled as ``other reasons``, which is never ``new``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.analysis.breakdown import change_flag, lead_order, per_1000, rate_difference, share_of
from lib.analysis.stats import Interval, rate_interval

OTHER_REASONS = "other reasons"


@dataclass(frozen=True)
class Exposure:
    """One release's side of a verdict: its crashes and hours over the ages compared, and
    the total rate's interval as ``release_comparisons`` has it (cluster-robust or not)."""

    version: str
    crashes: int
    hours: float
    low: float | None
    high: float | None

    @property
    def overdispersion(self) -> float:
        """How much the total's interval is wider than Poisson's would be, squared (>= 1)."""
        poisson = rate_interval(self.crashes, self.hours)
        if poisson is None or self.low is None or self.high is None or poisson.high <= poisson.low:
            return 1.0
        return max(1.0, ((self.high - self.low) / (poisson.high - poisson.low)) ** 2)


@dataclass(frozen=True)
class ReasonChange:
    reason: str
    latest_crashes: int
    previous_crashes: int
    latest_rate: float
    previous_rate: float
    difference: float
    difference_low: float
    difference_high: float
    share_of_change: float | None
    flag: str


def _difference_interval(latest: int, previous: int, a: Exposure, b: Exposure) -> tuple[float, Interval]:
    """The difference of the two rates and its normal interval, each side's Poisson variance
    inflated by its total's overdispersion. A side with no crash of the reason still has
    the variance of one crash (what zero allows at most, roughly), so a reason absent on
    one side is not certain by construction."""
    return rate_difference(
        (latest, a.hours, a.overdispersion * max(latest, 1)), (previous, b.hours, b.overdispersion * max(previous, 1))
    )


def reason_changes(
    latest: dict[str, int],
    previous: dict[str, int],
    newest: Exposure,
    before: Exposure,
    min_crashes: int,
    min_reason_crashes: int,
) -> list[ReasonChange]:
    """Every reason's change, largest share of the change first, ``new`` reasons before all.

    ``latest`` and ``previous`` are each release's crashes by reason over the ages compared;
    the rates divide by the hours of ``newest`` and ``before`` (those ages' usage)."""
    if newest.hours <= 0 or before.hours <= 0:
        return []
    pooled_latest: dict[str, int] = {}
    pooled_previous: dict[str, int] = {}
    for reason in set(latest) | set(previous):
        l_count, p_count = latest.get(reason, 0), previous.get(reason, 0)
        name = reason if l_count + p_count >= min_reason_crashes else OTHER_REASONS
        pooled_latest[name] = pooled_latest.get(name, 0) + l_count
        pooled_previous[name] = pooled_previous.get(name, 0) + p_count
    total = per_1000(sum(latest.values()), newest.hours) - per_1000(sum(previous.values()), before.hours)
    changes = []
    for reason in pooled_latest:
        l_count, p_count = pooled_latest[reason], pooled_previous[reason]
        difference, interval = _difference_interval(l_count, p_count, newest, before)
        new = p_count == 0 and l_count >= min_crashes and reason != OTHER_REASONS
        changes.append(
            ReasonChange(
                reason,
                l_count,
                p_count,
                per_1000(l_count, newest.hours),
                per_1000(p_count, before.hours),
                difference,
                interval.low,
                interval.high,
                share_of(difference, total),
                change_flag(interval, new),
            )
        )
    return sorted(changes, key=lambda c: lead_order(c.flag, c.share_of_change, c.reason))
