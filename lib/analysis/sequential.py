"""Verdicts that stay honest when they are read every hour: a confidence sequence for
the ratio of two crash rates.

A fixed 95% interval holds its promise once. Recomputed every hour for two weeks,
the chance that one of those 336 looks excludes the truth is far above 5%
(:func:`fixed_interval_lower_bounds` is there to show by how much). A *confidence
sequence* holds it at every look at once: with probability 95% the true ratio lies
in every interval of the sequence, however often and whenever it is read.

The construction (a mixture sequential probability ratio test, on the conditional
binomial the nightly intervals use, see :mod:`lib.analysis.stats`): hour ``k`` since
each release first appeared adds ``a_k`` crashes of the newest release over ``ha_k``
usage hours and ``b_k`` crashes of the previous one over ``hb_k`` hours at the same
hour since *its* release. Given ``n_k = a_k + b_k``, ``a_k`` is binomial with
``p_k(θ) = ha_k θ / (ha_k θ + hb_k)``, ``θ`` the ratio of the rates. For every
``θ``, the likelihood ratio of the data under a mixture of alternatives (a normal
prior on ``log θ'``, on a grid) against ``θ`` is a non-negative martingale when
``θ`` is true, so by Ville's inequality it passes ``1/alpha`` with probability at
most ``alpha`` ever: the ``θ`` it has not passed form the sequence, and the sequence is
intersected over time (a valid confidence sequence stays valid when intersected).

**Clustered crashes.** One machine crashing again and again makes crashes
overdispersed, and a binomial likelihood would believe them too much. As the
quasi-likelihood does, each hour's log likelihood ratio is divided by that hour's
dispersion ``φ_k = Σ y_c² / Σ y_c`` over the clients of the hour (1 for Poisson
crashes, larger when crashes come in bursts, never below 1): an hour in which one
machine crashed 100 times weighs about as much as one crash. This is a heuristic,
not part of the martingale argument (``φ_k`` is read from the hour it tempers, and a
client crashing across many hours is not seen as one cluster); its calibration is
measured, not proven: ``jobs/calibrate_release_day.py`` and
``tests/lib/analysis/test_sequential.py``.

Pure Python and numpy on already-aggregated hourly rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lib.analysis.stats import rate_ratio_interval

ALPHA = 0.05
# The ratios the sequence can name: 1/16 to 16 on a log grid of 1% steps.
LOG_GRID = np.arange(math.log(1 / 16), math.log(16) + 1e-9, 0.01)
# The mixture's prior on the log ratio of the alternative: most regressions worth
# finding are within a factor of 2 or so; the sequence is valid whatever this is.
PRIOR_SD = 0.5


@dataclass(frozen=True)
class Hour:
    """One hour since release, both releases: crashes, usage hours and Σ y_c² (the
    sum over clients of each client's crashes squared, which measures clustering)."""

    latest_crashes: int
    latest_hours: float
    previous_crashes: int
    previous_hours: float
    latest_crashes_sq: float | None = None
    previous_crashes_sq: float | None = None


@dataclass(frozen=True)
class Look:
    """What the sequence says after an hour: the running always-valid interval for the
    ratio (latest / previous) and the totals it rests on."""

    hour: int
    latest_crashes: int
    latest_hours: float
    previous_crashes: int
    previous_hours: float
    dispersion: float
    low: float
    high: float

    @property
    def ratio(self) -> float | None:
        if self.latest_hours <= 0 or self.previous_hours <= 0 or self.previous_crashes == 0:
            return None
        return (self.latest_crashes / self.latest_hours) / (self.previous_crashes / self.previous_hours)


def _log_likelihoods(a: np.ndarray, ha: np.ndarray, b: np.ndarray, hb: np.ndarray) -> np.ndarray:
    """hours x grid: each hour's conditional binomial log likelihood at every grid ratio."""
    theta = np.exp(LOG_GRID)[None, :]
    ha, hb = ha[:, None], hb[:, None]
    usable = (ha > 0) & (hb > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(usable, ha * theta / (ha * theta + hb), 0.5)
        terms = a[:, None] * np.log(p) + b[:, None] * np.log1p(-p)
    return np.where(usable, terms, 0.0)


def dispersion(crashes: float, crashes_sq: float | None) -> float:
    """``Σ y_c² / Σ y_c``, at least 1 (1 without crashes or without the sums)."""
    if crashes_sq is None or crashes <= 0:
        return 1.0
    return max(1.0, crashes_sq / crashes)


def confidence_sequence(hours: Sequence[Hour], alpha: float = ALPHA, prior_sd: float = PRIOR_SD) -> list[Look]:
    """The running always-valid interval for latest / previous after every hour."""
    if not hours:
        return []
    a = np.array([h.latest_crashes for h in hours], dtype=float)
    b = np.array([h.previous_crashes for h in hours], dtype=float)
    ha = np.array([h.latest_hours for h in hours], dtype=float)
    hb = np.array([h.previous_hours for h in hours], dtype=float)
    sq = np.array(
        [
            (h.latest_crashes_sq if h.latest_crashes_sq is not None else h.latest_crashes)
            + (h.previous_crashes_sq if h.previous_crashes_sq is not None else h.previous_crashes)
            for h in hours
        ],
        dtype=float,
    )
    # Each hour's evidence is tempered by that hour's own dispersion: an hour in which one
    # machine crashed 100 times says about as much as one crash, and the hours around it
    # keep their weight.
    phi = np.maximum(1.0, np.divide(sq, a + b, out=np.ones_like(sq), where=(a + b) > 0))
    tempered = np.cumsum(_log_likelihoods(a, ha, b, hb) / phi[:, None], axis=0)
    log_prior = -0.5 * (LOG_GRID / prior_sd) ** 2
    log_prior -= np.logaddexp.reduce(log_prior)
    # log M_t(θ) = log Σ_j w_j exp(S_t(θ'_j)) - S_t(θ): the mixture's part is one number an hour.
    mixture = np.logaddexp.reduce(log_prior[None, :] + tempered, axis=1)
    inside = (mixture[:, None] - tempered) < math.log(1 / alpha)
    # Totals over the hours that gave evidence (both releases had usage), as the sequence saw them.
    usable = (ha > 0) & (hb > 0)
    a_used, b_used, ha_used, hb_used = (np.cumsum(np.where(usable, x, 0.0)) for x in (a, b, ha, hb))
    crashes, effective = np.cumsum(np.where(usable, a + b, 0.0)), np.cumsum(np.where(usable, (a + b) / phi, 0.0))
    ratios = np.exp(LOG_GRID)
    # Each hour's set of ratios kept, as its smallest and largest (the grid ascends): the
    # first and the last grid point inside, found for every hour at once.
    any_kept = inside.any(axis=1).tolist()
    smallest = ratios[inside.argmax(axis=1)].tolist()
    largest = ratios[inside.shape[1] - 1 - inside[:, ::-1].argmax(axis=1)].tolist()
    dispersions = np.divide(crashes, effective, out=np.ones_like(crashes), where=effective > 0).tolist()
    a_used, b_used, ha_used, hb_used = (x.tolist() for x in (a_used, b_used, ha_used, hb_used))
    bottom, top = float(ratios[0]), float(ratios[-1])
    looks, low, high = [], 0.0, math.inf
    for k in range(len(hours)):
        # An empty set, or one disjoint from the running interval (data the model cannot
        # explain), keeps the last interval rather than inventing one.
        if any_kept[k] and max(low, smallest[k]) <= min(high, largest[k]):
            low, high = max(low, smallest[k]), min(high, largest[k])
        looks.append(
            Look(
                hour=k,
                latest_crashes=int(a_used[k]),
                latest_hours=ha_used[k],
                previous_crashes=int(b_used[k]),
                previous_hours=hb_used[k],
                dispersion=dispersions[k],
                low=low if low > bottom else 0.0,
                high=high if high < top else math.inf,
            )
        )
    return looks


def fixed_interval_lower_bounds(hours: Sequence[Hour]) -> list[float]:
    """The lower bound of the nightly's fixed 95% interval, recomputed on the totals
    after every hour: what a dashboard refreshed hourly would show (not valid when
    looked at more than once; here to measure how much it is not)."""
    bounds, a, ha, b, hb = [], 0, 0.0, 0, 0.0
    for h in hours:
        a, ha, b, hb = a + h.latest_crashes, ha + h.latest_hours, b + h.previous_crashes, hb + h.previous_hours
        interval = rate_ratio_interval(a, ha, b, hb)
        bounds.append(interval.low if interval else 0.0)
    return bounds
