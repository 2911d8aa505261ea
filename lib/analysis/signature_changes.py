"""Which crash signature drove it: a change of crash rate between two releases, split by signature.

The sibling of :mod:`lib.analysis.reasons`, in Mozilla's own language (``crash_signatures``,
siggen's signatures). For one main- or content-crash verdict of ``release_comparisons``,
each signature gets both releases' crashes over the verdict's release ages, both rates
per 1,000 hours of those ages (the verdict's hours), the **difference** of the two rates
with a 95% interval, and its **share of the change** (its difference over the sum of
the differences, which is the change of the rate of all signed crashes).

**A cluster-robust interval from the signature's own client sums.** Crashes cluster
on machines: one client crashing 150 times with one signature is 150 crashes of one
cause. ``crash_signatures`` keeps, per cell, ``crashes`` (Σ y_c over the clients ``c``
that crashed with it), ``clients`` and ``crashes_sq`` (Σ y_c²). With the hours held
fixed (the release's, at those ages), the cluster-robust variance of a side's count is
Σ y_c², never below Poisson's Σ y_c (every y_c is at least 1): one client of 150
crashes is a count of 150 with a standard error of 150, not of 12. A side without a
crash of the signature has the variance of one crash, so absent on one side is not
certain by construction. The difference's interval is the normal one on those
variances. A signature is then

* ``new``: none of its crashes in the previous release over those ages, at least
  ``min_crashes`` in the newest, its interval above 0, **and first seen in the newest
  release** (``signature_first_seen``: its first_version is the newest release's
  version, or its first_date is on or after the newest release's date);
* ``grown`` / ``shrunk``: the interval above / below 0;
* ``steady``: the interval holds 0.

Signatures with fewer than ``min_signature_crashes`` crashes on both sides together are
pooled as ``other signatures`` (their sums add up), which is never ``new``.

Also the two places a signature is looked up by people: Crash Stats' signature report
and a Bugzilla search of the crash-signature field (links only, built here, quoted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from lib.analysis.breakdown import change_flag, lead_order, per_1000, rate_difference, share_of
from lib.analysis.stats import Interval

OTHER_SIGNATURES = "other signatures"


@dataclass(frozen=True)
class SignatureSums:
    """One release's crashes of one signature over the ages compared, summed over cells:
    ``crashes`` = Σ y_c, ``clients``, ``crashes_sq`` = Σ y_c² (crash_signatures' columns)."""

    crashes: int
    clients: int
    crashes_sq: int

    def __add__(self, other: SignatureSums) -> SignatureSums:
        return SignatureSums(
            self.crashes + other.crashes, self.clients + other.clients, self.crashes_sq + other.crashes_sq
        )

    @property
    def count_variance(self) -> float:
        """The cluster-robust variance of the count (clients independent, hours fixed): Σ y_c²,
        never below Poisson's (the count itself) nor below one crash's."""
        return float(max(self.crashes_sq, self.crashes, 1))


NONE = SignatureSums(0, 0, 0)


@dataclass(frozen=True)
class FirstSeen:
    """A signature's row of ``signature_first_seen`` on the verdict's channel."""

    first_date: date
    first_version: str


@dataclass(frozen=True)
class Release:
    """The newest release of a verdict: what ``new`` is measured against."""

    version: str  # release_comparisons' latest_version (a display version)
    released: date | None
    # Whether its version alone names it: not on nightly, whose builds share one version
    # (there a signature first seen in last month's build has the newest build's version).
    by_version: bool = True


def first_seen_in(seen: FirstSeen | None, release: Release) -> bool:
    """Whether a signature was first seen in ``release``: its first version is the release's
    (where versions tell releases apart), or its first date is on or after the release's
    date. Unknown: not first seen there."""
    if seen is None:
        return False
    return (release.by_version and seen.first_version == release.version) or (
        release.released is not None and seen.first_date >= release.released
    )


@dataclass(frozen=True)
class SignatureChange:
    signature: str
    latest: SignatureSums
    previous: SignatureSums
    latest_rate: float
    previous_rate: float
    difference: float
    difference_low: float
    difference_high: float
    share_of_change: float | None
    first_seen: FirstSeen | None
    flag: str


def difference_interval(
    latest: SignatureSums, previous: SignatureSums, latest_hours: float, previous_hours: float
) -> tuple[float, Interval]:
    """latest's rate minus previous's (per 1,000 hours) and its cluster-robust 95% interval."""
    return rate_difference(
        (latest.crashes, latest_hours, latest.count_variance),
        (previous.crashes, previous_hours, previous.count_variance),
    )


def _pooled(
    latest: dict[str, SignatureSums], previous: dict[str, SignatureSums], min_signature_crashes: int
) -> dict[str, tuple[SignatureSums, SignatureSums]]:
    pooled: dict[str, tuple[SignatureSums, SignatureSums]] = {}
    for signature in sorted(set(latest) | set(previous)):
        ours, theirs = latest.get(signature, NONE), previous.get(signature, NONE)
        name = signature if ours.crashes + theirs.crashes >= min_signature_crashes else OTHER_SIGNATURES
        before = pooled.get(name, (NONE, NONE))
        pooled[name] = (before[0] + ours, before[1] + theirs)
    return pooled


def signature_changes(
    latest: dict[str, SignatureSums],
    previous: dict[str, SignatureSums],
    latest_hours: float,
    previous_hours: float,
    newest: Release,
    first_seen: dict[str, FirstSeen],
    min_crashes: int,
    min_signature_crashes: int,
) -> list[SignatureChange]:
    """Every signature's change, ``new`` ones first, then by share of the change.

    ``latest`` and ``previous`` are each release's sums by signature over the ages compared,
    the hours those ages' usage; ``first_seen`` is signature_first_seen on the channel."""
    if latest_hours <= 0 or previous_hours <= 0:
        return []
    pooled = _pooled(latest, previous, min_signature_crashes)
    total = per_1000(sum(s.crashes for s in latest.values()), latest_hours) - per_1000(
        sum(s.crashes for s in previous.values()), previous_hours
    )
    changes = []
    for signature, (ours, theirs) in pooled.items():
        difference, interval = difference_interval(ours, theirs, latest_hours, previous_hours)
        seen = first_seen.get(signature) if signature != OTHER_SIGNATURES else None
        absent_before = theirs.crashes == 0 and ours.crashes >= min_crashes
        changes.append(
            SignatureChange(
                signature,
                ours,
                theirs,
                per_1000(ours.crashes, latest_hours),
                per_1000(theirs.crashes, previous_hours),
                difference,
                interval.low,
                interval.high,
                share_of(difference, total),
                seen,
                change_flag(interval, absent_before and first_seen_in(seen, newest)),
            )
        )
    return sorted(changes, key=lambda c: lead_order(c.flag, c.share_of_change, c.signature))


# -- where people look a signature up (links only: nothing is fetched) ----------------

CRASH_STATS_SIGNATURE = "https://crash-stats.mozilla.org/signature/?signature="
BUGZILLA_CRASH_SIGNATURE = (
    "https://bugzilla.mozilla.org/buglist.cgi?query_format=advanced"
    "&cf_crash_signature_type=substring&cf_crash_signature="
)


def _quoted(signature: str) -> str:
    # Every reserved character quoted (&, =, #, +, |, spaces, brackets): a signature is data.
    return quote(signature, safe="")


def crash_stats_url(signature: str) -> str:
    """Crash Stats' report of ``signature``."""
    return CRASH_STATS_SIGNATURE + _quoted(signature)


def bugzilla_url(signature: str) -> str:
    """A Bugzilla search for bugs whose crash-signature field holds ``signature``."""
    return BUGZILLA_CRASH_SIGNATURE + _quoted(signature)


def signature_links(signature: str) -> dict[str, str | None]:
    """The two links of a signature, none for the pooled ``other signatures``."""
    if signature == OTHER_SIGNATURES:
        return {"crash_stats": None, "bugzilla": None}
    return {"crash_stats": crash_stats_url(signature), "bugzilla": bugzilla_url(signature)}
