"""The names and numbers of SPEC sections 1 and 3, each declared once.

The rules, the checks, the table schemas, the generator and the docs read them from
here (or are checked against them by the tests); none of them spells its own copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

# Doc types of the landing zone, in the order the jobs read and report them: the legacy
# main and crash pings, the Glean crash ping that replaced the legacy one, and the Glean
# baseline ping (desktop usage once the main ping is retired; Android's only usage).
DOC_TYPES = ("main", "crash", "glean_crash", "glean_baseline")
CRASH_DOC_TYPES = ("crash", "glean_crash")
GLEAN_DOC_TYPES = ("glean_crash", "glean_baseline")
USAGE_DOC_TYPES = ("main", "glean_baseline")

# The applications, from meta.documentNamespace (SPEC section 1): each namespace's
# application and the channel its name implies (Android's app ids are per channel).
# A Glean line without a namespace is Firefox desktop; any other namespace is excluded.
DESKTOP, ANDROID = "desktop", "android"
NAMESPACES: dict[str, tuple[str, str | None]] = {
    "firefox-desktop": (DESKTOP, None),
    "org-mozilla-firefox": (ANDROID, "release"),
    "org-mozilla-firefox-beta": (ANDROID, "beta"),
    "org-mozilla-fenix": (ANDROID, "nightly"),
}
# Where Firefox desktop's hours come from, by the run flag --desktop-usage (the DAG's
# Variable crash_rates_desktop_usage); the other desktop source only feeds usage_parity.
DESKTOP_USAGE_SOURCES = {"main": "main", "glean": "glean_baseline"}
DEFAULT_DESKTOP_USAGE = "main"
# A Glean timespan's time_unit, in seconds: exact fractions, so that a duration of
# 5,400,000 milliseconds is 5,400 seconds, not 5,399.999... cut to 5,399.
TIME_UNIT_SECONDS = {
    "nanosecond": Fraction(1, 10**9),
    "microsecond": Fraction(1, 10**6),
    "millisecond": Fraction(1, 1000),
    "second": Fraction(1),
    "minute": Fraction(60),
    "hour": Fraction(3600),
    "day": Fraction(86400),
}
# browser.engagement.active_ticks counts five-second ticks with keyboard or mouse input.
ACTIVE_TICK_SECONDS = 5
# What the nightly DAG waits for, by the crash sources a deployment is configured for
# (the Airflow Variable crash_rates_crash_sources): today's Firefox sends Glean only.
CRASH_SOURCES = {"legacy": ("crash",), "glean": ("glean_crash",), "both": ("crash", "glean_crash")}
DEFAULT_CRASH_SOURCES = "glean"

KNOWN_CHANNELS = ("release", "beta", "nightly", "esr", "aurora")
# Aurora (Developer Edition's old channel) is still recognised, but no longer shipped: not compared.
RETIRED_CHANNELS = ("aurora",)
REPORTED_CHANNELS = tuple(c for c in KNOWN_CHANNELS if c not in RETIRED_CHANNELS)
OTHER = "Other"  # a channel or platform outside the known ones

# environment.system.os.name to the platform family the tables report.
OS_NAMES = {
    "Windows_NT": "Windows",
    "Windows_95": "Windows",
    "Windows_98": "Windows",
    "Darwin": "Mac",
    "Linux": "Linux",
    "Android": "Android",
}
# Glean's client_info.os to the same families.
GLEAN_OS_NAMES = {"Windows": "Windows", "Darwin": "Mac", "Linux": "Linux", "Android": "Android"}
KNOWN_OS = ("Windows", "Mac", "Linux", "Android")

UNKNOWN_COUNTRY = "??"
SECONDS_PER_HOUR = 3600

# The keys of payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP the job reads;
# each becomes <key>_crashes in crash_aggregates (schemas/pings/main_payload.json reads them).
CRASH_KEYS = ("gpu", "plugin", "gmplugin", "rdd", "socket", "utility")

# Crash-ping measures of crash_aggregates, then the main-ping histogram ones, then the
# crash classes (added in schema version 2, so last: an older table gains them at its end).
CRASH_PING_MEASURES = ("main_crashes", "startup_crashes", "content_crashes", "content_shutdown_crashes")
HISTOGRAM_MEASURES = tuple(f"{key}_crashes" for key in CRASH_KEYS)
CRASH_CLASS_MEASURES = ("oom_crashes", "shutdown_hang_crashes", "background_task_crashes")
CRASH_MEASURES = CRASH_PING_MEASURES + HISTOGRAM_MEASURES + CRASH_CLASS_MEASURES
MOZ_CRASH_REASON_LENGTH = 200
# What a Firefox version looks like: a bare major (45, as Mozilla's telemetry-batch-view
# tests send it), two to four dotted parts (120.0, 120.0.1, 2.0.0.20), an optional
# alpha, beta or release candidate (148.0a1, 121.0b3, 3.0rc2, the old nightlies'
# 4.0b8pre) or esr (115.5.0esr); Android's 147.0.2 alike. Every version of Mozilla's
# product-details is one. Anything else (markup, control characters, 10,000 nines,
# words) is quarantined as malformed_version.
FIREFOX_VERSION = r"^[0-9]{1,4}(\.[0-9]{1,3}){0,3}((a|b|rc)[0-9]{1,3}(pre)?|esr|pre)?$"
# Minidump hashes that name no crash: the SHA-256 of an empty file, which a failed
# minidump write reports. Pings carrying one are never merged as one crash.
DEGENERATE_MINIDUMP_HASHES = ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",)
# What a crash was: the grain of crash_reasons, besides submission_date.
CRASH_REASON_DIMENSIONS = (
    "channel",
    "display_version",
    "os",
    "process_type",
    "crash_type",
    "crashing_module",
    "moz_crash_reason",
)


class InvalidLimits(ValueError):
    """A cap or window that makes no sense (negative, zero, not finite), or an unknown usage source."""


@dataclass(frozen=True)
class Limits:
    """The rules of SPEC section 3 a flag changes: the caps, the windows and Firefox
    desktop's usage source; recorded with every commit.

    Flags change them; the table constraint and the data-quality thresholds that
    depend on them follow (see :meth:`usage_cap_seconds`).
    """

    usage_cap_hours: float = 24.0
    max_build_age_days: int = 183
    max_build_lead_days: int = 1
    desktop_usage: str = DEFAULT_DESKTOP_USAGE  # a key of DESKTOP_USAGE_SOURCES

    def __post_init__(self) -> None:
        cap = self.usage_cap_hours
        if not (math.isfinite(cap) and cap > 0):
            raise InvalidLimits(f"usage cap must be a positive number of hours, not {cap}")
        if self.max_build_age_days < 0:
            raise InvalidLimits(f"max build age must be 0 days or more, not {self.max_build_age_days}")
        if self.max_build_lead_days < 0:
            raise InvalidLimits(f"max build lead must be 0 days or more, not {self.max_build_lead_days}")
        if self.desktop_usage not in DESKTOP_USAGE_SOURCES:
            known = " or ".join(DESKTOP_USAGE_SOURCES)
            raise InvalidLimits(f"desktop usage source must be {known}, not {self.desktop_usage!r}")

    @property
    def desktop_usage_doc_type(self) -> str:
        """The doc type Firefox desktop's hours come from: ``main`` or ``glean_baseline``."""
        return DESKTOP_USAGE_SOURCES[self.desktop_usage]

    @property
    def parity_doc_type(self) -> str:
        """The other desktop usage doc type: read and compared (usage_parity), adding no hours."""
        (other,) = (d for d in DESKTOP_USAGE_SOURCES.values() if d != self.desktop_usage_doc_type)
        return other

    @property
    def usage_cap_seconds(self) -> int:
        """The cap in whole seconds, as usage is summed (fractions of a second are dropped)."""
        return int(self.usage_cap_hours * SECONDS_PER_HOUR)
