"""A change of crash rate split by crash signature: exact sums, cluster-robust intervals from
the signatures' own client sums, ``new`` only for a signature first seen in the release,
and the links people follow (no Spark)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from lib.analysis.signature_changes import (
    OTHER_SIGNATURES,
    FirstSeen,
    Release,
    SignatureSums,
    bugzilla_url,
    crash_stats_url,
    difference_interval,
    first_seen_in,
    signature_changes,
    signature_links,
)

MIN_CRASHES, MIN_SIGNATURE_CRASHES = 10, 5
RELEASED = date(2026, 11, 17)
NEWEST = Release("158.0", RELEASED)
LONG_AGO = FirstSeen(date(2026, 6, 1), "152.0")


def once(crashes: int) -> SignatureSums:
    """``crashes`` crashes of as many clients, once each."""
    return SignatureSums(crashes, crashes, crashes)


def changes(latest, previous, first_seen=None, latest_hours=10_000.0, previous_hours=20_000.0):
    seen = {s: LONG_AGO for s in {*latest, *previous}} | (first_seen or {})
    return signature_changes(
        latest, previous, latest_hours, previous_hours, NEWEST, seen, MIN_CRASHES, MIN_SIGNATURE_CRASHES
    )


def test_the_differences_add_up_to_the_change_and_rare_signatures_are_pooled_with_their_sums():
    latest = {"OOM | small": once(60), "mozilla::dom::Foo": once(25), "XUL@0x2": SignatureSums(15, 5, 45)}
    previous = {"OOM | small": once(100), "XUL@0x2": once(40), "rare": SignatureSums(2, 1, 4), "rarer": once(1)}
    found = {c.signature: c for c in changes(latest, previous)}
    total = 1000 * 100 / 10_000 - 1000 * 143 / 20_000
    assert sum(c.difference for c in found.values()) == pytest.approx(total)
    assert sum(c.share_of_change for c in found.values()) == pytest.approx(1.0)
    assert (found["OOM | small"].latest_rate, found["OOM | small"].previous_rate) == (6.0, 5.0)
    assert set(found) == {"OOM | small", "mozilla::dom::Foo", "XUL@0x2", OTHER_SIGNATURES}
    assert found[OTHER_SIGNATURES].previous == SignatureSums(3, 2, 5)
    assert found[OTHER_SIGNATURES].first_seen is None


def test_a_signature_first_seen_in_the_newest_release_is_new_and_named_first():
    latest = {"OOM | small": once(50), "AppleGPUDriverPlanted.bundle@0x2": once(40)}
    previous = {"OOM | small": once(100)}
    seen = {"AppleGPUDriverPlanted.bundle@0x2": FirstSeen(RELEASED, "158.0")}
    first, *rest = changes(latest, previous, seen)
    assert (first.signature, first.flag, first.previous.crashes) == ("AppleGPUDriverPlanted.bundle@0x2", "new", 0)
    assert first.share_of_change == pytest.approx(1.0)
    assert first.first_seen == FirstSeen(RELEASED, "158.0")
    assert [c.flag for c in rest] == ["steady"]


def test_absent_before_but_seen_in_an_older_release_is_grown_not_new():
    latest, previous = {"OOM | small": once(50), "js::GC": once(40)}, {"OOM | small": once(100)}
    found = {c.signature: c.flag for c in changes(latest, previous)}  # js::GC first seen in 152.0
    assert found == {"OOM | small": "steady", "js::GC": "grown"}


def test_first_seen_is_the_release_by_version_or_by_a_date_on_or_after_its_release():
    assert first_seen_in(FirstSeen(date(2026, 11, 15), "158.0"), NEWEST)  # early adopters before the date
    assert first_seen_in(FirstSeen(RELEASED, "158.0b9"), NEWEST)
    assert first_seen_in(FirstSeen(date(2026, 11, 19), "157.0.2"), NEWEST)  # seen first elsewhere, since
    assert not first_seen_in(FirstSeen(date(2026, 11, 16), "157.0.2"), NEWEST)
    assert not first_seen_in(None, NEWEST)
    assert not first_seen_in(FirstSeen(date(2026, 11, 16), "157.0.2"), Release("158.0", None))
    # Nightly's builds share a version: only the date tells a signature of last month's build.
    nightly = Release("160.0a1", date(2026, 11, 19), by_version=False)
    assert not first_seen_in(FirstSeen(date(2026, 10, 20), "160.0a1"), nightly)
    assert first_seen_in(FirstSeen(date(2026, 11, 19), "160.0a1"), nightly)


def test_gone_is_shrunk_and_under_the_minimum_is_grown_not_new():
    latest = {"a": once(100), "c": once(6), "d": once(2)}
    previous = {"a": once(200), "b": once(60), "d": once(3)}
    seen = {"c": FirstSeen(RELEASED, "158.0")}
    found = {c.signature: c.flag for c in changes(latest, previous, seen)}
    # c: 6 crashes against none in twice the hours is certain, but under 10 it is not "new".
    assert found == {"a": "steady", "b": "shrunk", "c": "grown", "d": "steady"}


def test_equal_rates_flag_nothing():
    latest = {f"sig{i}": once(10 * i) for i in range(1, 8)}
    previous = {f"sig{i}": once(20 * i) for i in range(1, 8)}  # twice the crashes in twice the hours
    found = changes(latest, previous)
    assert {c.flag for c in found} == {"steady"}
    assert all(c.difference == pytest.approx(0.0) for c in found)
    assert [c.share_of_change for c in found] == [None] * len(found)  # no change to share


def test_one_machine_crashing_150_times_on_a_new_signature_flags_nothing():
    """Rates otherwise equal; one client's 150 crashes: a count with the standard error of 150,
    not of sqrt(150). Counted as 150 independent crashes it would be new and certain."""
    latest = {"OOM | small": once(50), "one::Machine": SignatureSums(150, 1, 150 * 150)}
    previous = {"OOM | small": once(100)}
    seen = {"one::Machine": FirstSeen(RELEASED, "158.0")}
    found = {c.signature: c for c in changes(latest, previous, seen)}
    assert {s: c.flag for s, c in found.items()} == {"OOM | small": "steady", "one::Machine": "steady"}
    machine = found["one::Machine"]
    assert machine.difference == pytest.approx(15.0)
    assert machine.difference_low < 0 < machine.difference_high
    # The same 150 crashes from 150 clients: new, and certain.
    spread = {"OOM | small": once(50), "one::Machine": once(150)}
    assert {c.signature: c.flag for c in changes(spread, previous, seen)}["one::Machine"] == "new"


def test_one_machine_among_equal_rates_on_both_sides_flags_nothing():
    """A signature every release has at the same rate, plus one machine's 150 crashes in the newest."""
    latest = {"js::GC": SignatureSums(40 + 150, 41, 40 + 150 * 150)}
    previous = {"js::GC": once(80)}
    (only,) = changes(latest, previous)
    assert only.flag == "steady"


def test_the_interval_is_the_normal_one_on_each_sides_sum_of_squares():
    difference, interval = difference_interval(SignatureSums(30, 10, 120), SignatureSums(0, 0, 0), 1000.0, 2000.0)
    half = 1.959964 * (120 * 1.0**2 + 1 * 0.5**2) ** 0.5  # an absent side: one crash's variance
    assert difference == 30.0
    assert (interval.low, interval.high) == (pytest.approx(30 - half), pytest.approx(30 + half))


def test_no_hours_no_changes():
    assert changes({"a": once(5)}, {"a": once(5)}, latest_hours=0.0) == []
    assert changes({}, {}, previous_hours=0.0) == []


def test_links_quote_every_reserved_character_of_a_signature():
    signature = "OOM | large | mozalloc_abort | A<b>&c=d #1+2 ? é"
    stats, bugs = urlsplit(crash_stats_url(signature)), urlsplit(bugzilla_url(signature))
    assert (stats.scheme, stats.netloc, stats.path) == ("https", "crash-stats.mozilla.org", "/signature/")
    assert parse_qs(stats.query) == {"signature": [signature]}
    assert stats.fragment == ""
    assert (bugs.netloc, bugs.path) == ("bugzilla.mozilla.org", "/buglist.cgi")
    assert parse_qs(bugs.query) == {
        "query_format": ["advanced"],
        "cf_crash_signature_type": ["substring"],
        "cf_crash_signature": [signature],
    }
    assert crash_stats_url("a b|c") == "https://crash-stats.mozilla.org/signature/?signature=a%20b%7Cc"
    assert signature_links(OTHER_SIGNATURES) == {"crash_stats": None, "bugzilla": None}
