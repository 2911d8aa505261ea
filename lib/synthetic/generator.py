"""A synthetic Firefox population whose crash rates are known: landing data with truth.

The model, in the terms release managers use:

* **A release train.** A major release every 28 days (anchored on Firefox 147,
  2026-01-13), point releases 7 and 21 days later, betas every 3 days of the next
  major, a nightly build every day, and an ESR line. Build ids carry the real
  build date (a few days before release), and a product-details calendar lists
  the majors, point releases and betas, as Mozilla's does (nightlies are absent).
* **Adoption that ramps.** Each client has an eagerness; a client runs the newest
  release whose adoption curve ``1 - exp(-(age + 1) / tau)`` has passed its
  eagerness, so early adopters move first and a release reaches most clients
  over one to two weeks (``tau`` per channel).
* **Crash rates per 1,000 usage hours** by platform and channel, times a factor
  for a version with a regression, times an early-days factor ``1 + 0.8 *
  exp(-age / 3)``: a new release is crashier in its first days.
* **Realistic pings**: the fields of the real schemas, subsession lengths of
  minutes to hours (a few over 24 h, a few missing), and padding histograms so a
  main ping weighs 5 to 200 KB like a real one.
* **Usage in both desktop formats.** From ``Settings.desktop_baseline_from`` on,
  Firefox desktop also sends Glean baseline pings describing the same sessions as
  its main pings (an ``inactive`` ping with the session's duration and active
  ticks, sometimes an ``active`` ping without them), so either source gives the
  same hours.
* **Firefox for Android** (``Settings.android_clients``): baseline pings (its only
  usage) and Glean crash pings under its app ids, a version code as its build.

Data-collection faults can be switched on per day; each records what it did to
which line, so the truth says how many lines the job must aggregate, count as
duplicates, exclude or quarantine.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from lib.contract.vocabulary import (
    ACTIVE_TICK_SECONDS,
    CRASH_REASON_DIMENSIONS,
    DOC_TYPES,
    OS_NAMES,
    SECONDS_PER_HOUR,
    Limits,
)

ANCHOR_MAJOR, ANCHOR_DATE = 147, date(2026, 1, 13)
CYCLE_DAYS = 28
ESR_MAJOR = 140
CAP_SECONDS = Limits().usage_cap_seconds  # the truth is computed under the default cap

CHANNEL_SHARE = {"release": 0.78, "beta": 0.09, "nightly": 0.05, "esr": 0.08}
ADOPTION_TAU_DAYS = {"release": 4.0, "esr": 6.0, "beta": 1.5, "nightly": 0.7}
OS_SHARE = {"Windows_NT": 0.70, "Darwin": 0.18, "Linux": 0.12}
ANDROID_OS = "Android"
ANDROID_CHANNEL_SHARE = {"release": 0.85, "beta": 0.1, "nightly": 0.05}
ANDROID_NAMESPACE = {
    "release": "org-mozilla-firefox",
    "beta": "org-mozilla-firefox-beta",
    "nightly": "org-mozilla-fenix",
}
ACTIVE_SHARE = (0.1, 0.6)  # of a session's length, spent with keyboard or mouse input
EXTRA_ACTIVE_PING_SHARE = 0.3  # baseline sessions that also send an "active" ping (no duration)
OS_VERSIONS = {
    "Windows_NT": ["10.0.19045", "10.0.22631", "6.1"],
    "Darwin": ["23.6.0", "24.1.0"],
    "Linux": ["6.8.0-45-generic", "5.15.0.1.2"],
    ANDROID_OS: ["14", "13", "12"],
}
ARCHITECTURE = {"Windows_NT": "x86-64", "Darwin": "aarch64", "Linux": "x86-64", ANDROID_OS: "arm64-v8a"}
COUNTRIES = ["US", "DE", "FR", "BR", "IN", "CA", "JP", "GB", "PL", "ID"]

# Main-process crashes per 1,000 usage hours, before the factors below.
BASE_RATE = {"Windows_NT": 2.2, "Darwin": 1.4, "Linux": 1.8, ANDROID_OS: 2.6}
CHANNEL_FACTOR = {"release": 1.0, "esr": 0.8, "beta": 1.6, "nightly": 3.0}
EARLY_DAYS_EXTRA, EARLY_DAYS_SCALE = 0.8, 3.0
# Other crash kinds relative to the main-process rate.
CONTENT_FACTOR, SHUTDOWN_FACTOR, GPU_FACTOR = 1.2, 0.6, 0.25
STARTUP_SHARE = 0.15
# Crash classes and what a crash was, per crash.
OOM_SHARE, SHUTDOWN_HANG_SHARE, BACKGROUND_TASK_SHARE = 0.05, 0.03, 0.02
MOZ_CRASH_REASON_SHARE = 0.3
MOZ_CRASH_REASONS = ("MOZ_RELEASE_ASSERT(mIsAlive)", "MOZ_CRASH(Shutdown hanging at step XPCOMShutdown)")
MODULES = {
    "Windows_NT": ("xul.dll", "ntdll.dll", "nvwgf2umx.dll"),
    "Darwin": ("XUL", "libsystem_kernel.dylib"),
    "Linux": ("libxul.so", "libc.so.6"),
    ANDROID_OS: ("libxul.so", "libart.so"),
}
CRASH_TYPES = {
    "Windows_NT": "EXCEPTION_ACCESS_VIOLATION_READ",
    "Darwin": "EXC_BAD_ACCESS",
    "Linux": "SIGSEGV",
    ANDROID_OS: "SIGSEGV",
}
GLEAN_OS = {"Windows_NT": "Windows", "Darwin": "Darwin", "Linux": "Linux", ANDROID_OS: "Android"}
CRASH_FORMATS = ("legacy", "both", "glean")
# The crash reason a regression adds (see Generator.regression_factor): a GPU driver's module.
PLANTED_MODULE = "AppleGPUDriverPlanted.bundle"
# Its crash signature: the crashing thread's frames are in that module alone, which has no
# symbols, so siggen names the crash by the module (a signature no release had before).
PLANTED_SIGNATURE = PLANTED_MODULE
# Firefox for Android's crashes in the Android runtime (libart.so) are Java exceptions: their
# Glean crash pings carry crash.java_exception, and siggen signs them from it.
JAVA_MODULE = "libart.so"
JAVA_EXCEPTION = {
    "throwables": [
        {
            "type_name": "java.lang.IllegalStateException",
            "message": "Fragment not attached to an activity.",
            "stack": [
                {"class_name": "org.mozilla.fenix.browser.BrowserFragment", "method_name": "onResume",
                 "file": "BrowserFragment.kt", "line": 212},
                {"class_name": "androidx.fragment.app.Fragment", "method_name": "performResume",
                 "file": "Fragment.java", "line": 3180},
            ],
        }
    ]
}  # fmt: skip
UNHASHED_SHARE = 0.1  # crashes without a minidump hash: sent in one format only
REPORTER_UPDATED_SHARE = 0.1  # Glean crashes reported by a newer build than the one that crashed
GPU_PING_SHARE = 0.5  # gpu crashes that also send a crash ping (counted in no column)

FAULTS = (
    "duplicates",
    "negative_lengths",
    "clock_skew",
    "bogus_builds",
    "malformed_lines",
    "wrong_types",
    "platform_drop",
    "calendar_missing_version",
)


@dataclass(frozen=True)
class Release:
    channel: str
    version: str
    display_version: str
    released: date
    build_id: str
    in_calendar: bool = True


@dataclass(frozen=True)
class Client:
    client_id: str
    channel: str
    os_name: str
    os_version: str
    country: str
    eagerness: float
    activity: float
    # Multiplies the client's crash rate: 1 for everyone, or gamma-distributed with mean 1
    # (Settings.proneness_shape), so a few clients crash again and again, as in real data.
    proneness: float = 1.0


@dataclass(frozen=True)
class Settings:
    start: date
    days: int
    clients: int = 3000
    seed: int = 20261120
    ping_size: str = "realistic"  # or "small" for fast tests
    faults: dict[str, frozenset[date] | None] = field(default_factory=dict)
    regression: tuple[str, int, float] | None = ("Darwin", 0, 1.8)  # os, major offset from newest, factor
    # Multiplies every crash rate: tests use it to get many crashes from few pings.
    rate_scale: float = 1.0
    # What Firefox sends for a crash: "legacy" (the Telemetry crash ping), "both" (the
    # transition: most crashes in both formats, with one minidump hash) or "glean".
    crash_formats: str = "legacy"
    # From a date on, another of the three: ((date, formats), ...), in date order.
    format_changes: tuple[tuple[date, str], ...] = ()
    # Crashes cluster on clients: each client's rate is multiplied by a gamma draw of this
    # shape and mean 1 (small: heavy-tailed; 0.05 makes some 3% of clients crash at all
    # and 1% hold most crashes). None: every client alike (crashes are Poisson).
    proneness_shape: float | None = None
    # A real main ping (Mozilla's main.4.sample.pass.json) whose histograms fill pings
    # out to their sizes, instead of generated ones: the benchmark's realistic bytes.
    filler_source: str | None = None
    # From this date on, Firefox desktop also sends Glean baseline pings of the same sessions.
    desktop_baseline_from: date | None = None
    # Firefox for Android clients (Glean baseline and crash pings only); 0: none.
    android_clients: int = 0

    def fault_on(self, name: str, day: date) -> bool:
        if name not in self.faults:
            return False
        days = self.faults[name]
        return days is None or day in days

    def formats_on(self, day: date) -> str:
        formats = self.crash_formats
        for since, changed in self.format_changes:
            if day >= since:
                formats = changed
        if formats not in CRASH_FORMATS:
            raise ValueError(f"crash formats must be one of {', '.join(CRASH_FORMATS)}, not {formats!r}")
        return formats

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def major_released(major: int) -> date:
    return ANCHOR_DATE + timedelta(days=CYCLE_DAYS * (major - ANCHOR_MAJOR))


def current_major(day: date) -> int:
    return ANCHOR_MAJOR + (day - ANCHOR_DATE).days // CYCLE_DAYS


def _build_id(built: date, hour: int) -> str:
    return f"{built:%Y%m%d}{hour:02d}3015"


def release_train(first: date, last: date) -> list[Release]:
    """Every release of every channel that a client could run between two dates."""
    releases: list[Release] = []
    for major in range(current_major(first) - 2, current_major(last) + 1):
        day = major_released(major)
        releases.append(Release("release", f"{major}.0", f"{major}.0", day, _build_id(day - timedelta(5), 9)))
        for point, offset in ((1, 7), (2, 21)):
            version = f"{major}.0.{point}"
            released = day + timedelta(offset)
            releases.append(Release("release", version, version, released, _build_id(released - timedelta(2), 14)))
        esr = f"{ESR_MAJOR}.{major - ESR_MAJOR}.0"
        releases.append(Release("esr", esr, esr, day, _build_id(day - timedelta(6), 11)))
        for beta in range(1, 9):
            released = day + timedelta(1 + 3 * (beta - 1))
            releases.append(
                Release(
                    "beta",
                    f"{major + 1}.0",
                    f"{major + 1}.0b{beta}",
                    released,
                    _build_id(released - timedelta(1), 19),
                )
            )
    for offset in range((last - first).days + 60):
        built = first - timedelta(59) + timedelta(offset)
        nightly = f"{current_major(built) + 2}.0a1"
        releases.append(Release("nightly", nightly, nightly, built, _build_id(built, 4), in_calendar=False))
    return [r for r in releases if r.released <= last]


def calendar_files(releases: list[Release], omit: Collection[str] = frozenset()) -> dict[str, dict[str, str]]:
    """The release train in product-details format (three files, version to ISO date)."""
    files: dict[str, dict[str, str]] = {
        "firefox_history_major_releases.json": {},
        "firefox_history_stability_releases.json": {},
        "firefox_history_development_releases.json": {},
    }
    for r in releases:
        if not r.in_calendar or r.display_version in omit:
            continue
        if "b" in r.display_version:
            name = "firefox_history_development_releases.json"
        elif r.display_version.count(".") == 1:
            name = "firefox_history_major_releases.json"
        else:
            name = "firefox_history_stability_releases.json"
        files[name][r.display_version] = r.released.isoformat()
    return files


def adoption(age_days: int, tau: float) -> float:
    return 1.0 - math.exp(-(age_days + 1) / tau) if age_days >= 0 else 0.0


def early_days_factor(age_days: int) -> float:
    return 1.0 + EARLY_DAYS_EXTRA * math.exp(-max(age_days, 0) / EARLY_DAYS_SCALE)


def _choice(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def population(settings: Settings) -> list[Client]:
    rng = random.Random(settings.seed)
    # A stream of its own, so populations without clustering stay as they were.
    prone = random.Random(settings.seed + 3)
    shape = settings.proneness_shape
    clients = []
    for _ in range(settings.clients):
        os_name = _choice(rng, OS_SHARE)
        clients.append(
            Client(
                client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                channel=_choice(rng, CHANNEL_SHARE),
                os_name=os_name,
                os_version=rng.choice(OS_VERSIONS[os_name]),
                country=rng.choice(COUNTRIES),
                eagerness=rng.random(),
                activity=rng.uniform(0.4, 0.95),
                proneness=prone.gammavariate(shape, 1 / shape) if shape else 1.0,
            )
        )
    return clients


def android_population(settings: Settings) -> list[Client]:
    """Firefox for Android's clients: a stream of their own, so desktop's stay as they were."""
    rng = random.Random(settings.seed + 5)
    return [
        Client(
            client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            channel=_choice(rng, ANDROID_CHANNEL_SHARE),
            os_name=ANDROID_OS,
            os_version=rng.choice(OS_VERSIONS[ANDROID_OS]),
            country=rng.choice(COUNTRIES),
            eagerness=rng.random(),
            activity=rng.uniform(0.4, 0.95),
        )
        for _ in range(settings.android_clients)
    ]


def _client_info(client: Client, build: Release) -> dict:
    """A Glean ping's client_info: the client, and the build that sends the ping (Android's
    client_info names its version code; a crash ping's crash.app_build the Gecko build)."""
    android = client.os_name == ANDROID_OS
    return {
        "client_id": client.client_id,
        "app_build": version_code(build) if android else build.build_id,
        "app_channel": build.channel,
        "app_display_version": build.display_version,
        "architecture": ARCHITECTURE[client.os_name],
        "os": GLEAN_OS[client.os_name],
        "os_version": client.os_version,
        "locale": "en-US",
        "telemetry_sdk_build": "64.1.1",
        "first_run_date": "2025-01-01+00:00",
    }


def version_code(release: Release) -> str:
    """What Firefox for Android sends as its build: a version code, not a build id. (Its
    first digits read as a date of 2016: a job that applied the build-id date rules to it
    would exclude every Android ping as too old.)"""
    return "2016" + release.build_id[4:10]


class Padding:
    """Serialized filler histograms, so ping sizes look like the real thing."""

    def __init__(self, rng: random.Random, total_kb: int = 210, source: str | None = None) -> None:
        self.fragments: list[str] = []
        self._cache: dict[int, str] = {}
        real = self._real_histograms(source) if source else []
        size = 0
        while size < total_kb * 1024:
            if real:
                body = real[len(self.fragments) % len(real)]
            else:
                values = {str(2**i): rng.randrange(0, 5000) for i in range(rng.randrange(8, 40))}
                body = {
                    "bucket_count": 50,
                    "histogram_type": 0,
                    "sum": sum(values.values()),
                    "range": [1, 10000],
                    "values": values,
                }
            fragment = f'"FILLER_{len(self.fragments)}":{json.dumps(body, separators=(",", ":"))}'
            self.fragments.append(fragment)
            size += len(fragment) + 1

    @staticmethod
    def _real_histograms(source: str) -> list[dict]:
        """The histograms and keyed histograms of a real main ping, in its order."""
        payload = json.loads(Path(source).read_text())["payload"]
        return [*payload.get("histograms", {}).values(), *payload.get("keyedHistograms", {}).values()]

    def of_size(self, kb: float) -> str:
        """Filler of about ``kb`` KB (whole KB, cached: there are only 200 sizes)."""
        whole = max(0, round(kb))
        if whole not in self._cache:
            self._cache[whole] = self._build(whole)
        return self._cache[whole]

    def _build(self, kb: int) -> str:
        target, parts, size = kb * 1024, [], 0
        for fragment in self.fragments:
            if size >= target:
                break
            parts.append(fragment)
            size += len(fragment) + 1
        return "{" + ",".join(parts) + "}"


@dataclass
class DayTruth:
    """What the job must find for one submission date, built as the lines are written."""

    lines: dict[str, Counter[str]] = field(default_factory=lambda: {d: Counter() for d in DOC_TYPES})
    quarantine_reasons: dict[str, Counter[str]] = field(default_factory=lambda: {d: Counter() for d in DOC_TYPES})
    # (channel, display_version, os family, process type, crash type, module, reason) -> crashes
    reasons: Counter[tuple[str | None, ...]] = field(default_factory=Counter)
    formats: str = "legacy"
    # Firefox desktop's usable usage pings of each source (main, glean_baseline): all counted as
    # aggregated in ``lines``, though a run counts one source and excludes the other.
    desktop_usage_pings: Counter[str] = field(default_factory=Counter)
    # (channel, display_version, os family) -> measure -> value, over aggregated pings only
    cells: dict[tuple[str, str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # (channel, display_version, os family) -> "active" / "crashing" -> client ids (aggregated
    # main pings; aggregated main or content crashes)
    clients: dict[tuple[str, str, str], dict[str, set[str]]] = field(
        default_factory=lambda: defaultdict(lambda: {"active": set(), "crashing": set()})
    )
    # (channel, display_version, os family, true release age) -> [usage hours, expected main crashes]
    expected: dict[tuple[str, str, str, int], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0])
    )

    def to_json(self) -> dict[str, object]:
        return {
            "crash_formats": self.formats,
            "lines": {k: dict(v) for k, v in self.lines.items()},
            "desktop_usage_pings": dict(self.desktop_usage_pings),
            "quarantine_reasons": {k: dict(v) for k, v in self.quarantine_reasons.items()},
            "cells": [
                {"channel": c, "display_version": v, "os": o, **counts}
                for (c, v, o), counts in sorted(self.cells.items())
            ],
            "clients": [
                {"channel": c, "display_version": v, "os": o, **{k: len(ids) for k, ids in people.items()}}
                for (c, v, o), people in sorted(self.clients.items())
            ],
            "crash_reasons": [
                dict(zip(CRASH_REASON_DIMENSIONS, key, strict=True), crashes=n)
                for key, n in sorted(self.reasons.items(), key=repr)
            ],
            "expected_main_crashes": [
                {
                    "channel": c,
                    "display_version": v,
                    "os": o,
                    "release_age_days": a,
                    "usage_hours": h,
                    "expected": e,
                }
                for (c, v, o, a), (h, e) in sorted(self.expected.items())
            ],
        }


def _set_build(ping: dict, doc_type: str, build_id: str) -> None:
    """Give a ping another build id, wherever its format keeps it."""
    if doc_type == "glean_crash":
        ping["metrics"]["string"]["crash.app_build"] = ping["client_info"]["app_build"] = build_id
    elif doc_type == "glean_baseline":
        ping["client_info"]["app_build"] = build_id
    else:
        ping["application"]["buildId"] = ping["environment"]["build"]["buildId"] = build_id


@dataclass(frozen=True)
class Crash:
    """One crash, as both formats describe it."""

    process_type: str | None
    ipc_error: str | None
    startup: bool
    oom: bool
    shutdown_hang: bool
    background_task: bool
    minidump_hash: str | None
    crash_type: str
    modules: tuple[str, ...]
    crashing_module_index: int
    moz_crash_reason: str | None

    @property
    def counted(self) -> dict[str, int]:
        """What this crash adds to crash_aggregates (SPEC section 3)."""
        return {
            "main_crashes": int(self.process_type in (None, "main")),
            "content_crashes": int(self.process_type == "content" and self.ipc_error is None),
            "content_shutdown_crashes": int(self.process_type == "content" and self.ipc_error is not None),
            "startup_crashes": int(self.startup),
            "oom_crashes": int(self.oom),
            "shutdown_hang_crashes": int(self.shutdown_hang),
            "background_task_crashes": int(self.background_task),
        }

    @property
    def reason_key(self) -> tuple[str | None, ...]:
        return (self.process_type, self.crash_type, self.modules[self.crashing_module_index], self.moz_crash_reason)

    def stack_traces(self, legacy: bool) -> dict:
        """The crashing thread (thread 1 here) starts in the crashing module; names per format."""
        threads = [
            {"frames": [{"module_index": 0, "ip": "0x1", "trust": "context"}]},
            {"frames": [{"module_index": self.crashing_module_index, "ip": "0x2", "trust": "context"}]},
        ]
        modules = [{"filename": name, "debug_file": name, "base_addr": "0x0"} for name in self.modules]
        if legacy:
            info = {"type": self.crash_type, "crashing_thread": 1, "address": "0x0"}
            return {"crash_info": info, "modules": modules, "threads": threads, "status": "OK"}
        return {"crash_type": self.crash_type, "crash_thread": 1, "modules": modules, "threads": threads}


class Generator:
    """Writes one submission date at a time; deterministic for a given :class:`Settings`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rng = random.Random(settings.seed + 1)
        first, last = settings.dates[0], settings.dates[-1]
        self.releases = release_train(first, last)
        self.by_channel: dict[str, list[Release]] = defaultdict(list)
        for r in sorted(self.releases, key=lambda r: r.released):
            self.by_channel[r.channel].append(r)
        self.clients = population(settings)
        self.android = android_population(settings)
        # Streams of their own: desktop's main and crash pings stay as they were.
        self.usage_rng = random.Random(settings.seed + 4)
        self.android_rng = random.Random(settings.seed + 6)
        self.padding = Padding(random.Random(settings.seed + 2), source=settings.filler_source)
        self.newest_major = current_major(settings.dates[-1])

    # -- the model ------------------------------------------------------------------------

    def release_for(self, client: Client, day: date) -> Release:
        """The newest release this client has adopted by ``day`` (eager clients first)."""
        available = [r for r in self.by_channel[client.channel] if r.released <= day]
        tau = ADOPTION_TAU_DAYS[client.channel]
        for release in reversed(available):
            if adoption((day - release.released).days, tau) > client.eagerness:
                return release
        return available[0]

    def regression_factor(self, client: Client, release: Release) -> float:
        """How many times as often this client's release crashes (1 outside the regression)."""
        if self.settings.regression and client.channel == "release":
            os_name, offset, factor = self.settings.regression
            if client.os_name == os_name and release.version.startswith(f"{self.newest_major - offset}."):
                return factor
        return 1.0

    def rate_per_1000h(self, client: Client, release: Release, age: int) -> float:
        rate = BASE_RATE[client.os_name] * CHANNEL_FACTOR[client.channel] * early_days_factor(age)
        return rate * self.settings.rate_scale * self.regression_factor(client, release)

    def calendar(self) -> dict[str, dict[str, str]]:
        omit = {f"{self.newest_major}.0"} if "calendar_missing_version" in self.settings.faults else set()
        return calendar_files(self.releases, omit)

    # -- pings --------------------------------------------------------------------------

    def _size_kb(self, doc_type: str) -> float:
        if self.settings.ping_size == "small":
            return 0
        if doc_type in ("crash", "glean_crash"):
            return self.rng.uniform(4, 12)
        if doc_type == "glean_baseline":
            return 0  # no filler: a baseline ping is a few hundred bytes
        return min(200.0, max(5.0, self.rng.lognormvariate(math.log(25), 0.8)))

    def _envelope(self, client: Client, release: Release, day: date, created: datetime) -> dict:
        submitted = created + timedelta(seconds=self.rng.randrange(1, 600))
        if submitted.date() != day:
            submitted = datetime.combine(day, time(23, 59, 59))
        return {
            "type": None,
            "id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "creationDate": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "version": 4,
            "clientId": client.client_id,
            "application": {
                "architecture": ARCHITECTURE[client.os_name],
                "buildId": release.build_id,
                "channel": client.channel,
                "name": "Firefox",
                "platformVersion": release.version,
                "version": release.version,
                "displayVersion": release.display_version,
                "vendor": "Mozilla",
            },
            "environment": {
                "build": {
                    "applicationName": "Firefox",
                    "architecture": ARCHITECTURE[client.os_name],
                    "buildId": release.build_id,
                    "version": release.version,
                    "displayVersion": release.display_version,
                },
                "system": {"os": {"name": client.os_name, "version": client.os_version, "locale": "en-US"}},
            },
            "meta": {
                "submissionTimestamp": submitted.strftime("%Y-%m-%dT%H:%M:%S.")
                + f"{submitted.microsecond // 1000:03d}Z",
                "geoCountry": client.country,
            },
        }

    def _serialize(self, ping: dict, doc_type: str) -> str:
        text = json.dumps(ping, separators=(",", ":"))
        return text.replace('"__PADDING__"', self.padding.of_size(self._size_kb(doc_type)), 1)

    def day(self, day: date) -> tuple[dict[str, list[str]], DayTruth]:
        """All landing lines of one submission date, per doc type sent that day, and their truth."""
        s, rng = self.settings, self.rng
        truth = DayTruth(formats=s.formats_on(day))
        lines: dict[str, list[str]] = {d: [] for d in DOC_TYPES}

        def emit(doc_type: str, ping: dict, client: Client, release: Release, measures: dict[str, int]) -> str:
            """Write one ping, maybe with the day's fault; returns its disposition."""
            fault = self._fault_for(day, doc_type)
            if fault == "bogus_builds" and client.os_name == ANDROID_OS:
                fault = None  # a version code has no date to be bogus about
            if fault == "negative_lengths" and doc_type == "main" and ping["payload"]["info"].get("subsessionLength"):
                ping["payload"]["info"]["subsessionLength"] *= -1
                return self._quarantined(lines, truth, doc_type, ping, "negative_subsession_length")
            duration = ping.get("metrics", {}).get("timespan", {}).get("glean.baseline.duration")
            if fault == "negative_lengths" and duration and duration["value"]:
                duration["value"] *= -1
                return self._quarantined(lines, truth, doc_type, ping, "negative_baseline_duration")
            if fault == "wrong_types" and doc_type == "main":
                ping["payload"]["info"]["subsessionLength"] = str(ping["payload"]["info"].get("subsessionLength"))
                return self._quarantined(lines, truth, doc_type, ping, "wrong_type")
            if fault == "malformed_lines":
                text = self._serialize(ping, doc_type)
                lines[doc_type].append(text[: len(text) // 2])
                truth.lines[doc_type]["quarantined"] += 1
                truth.quarantine_reasons[doc_type]["not_json_object"] += 1
                return "quarantined"
            if fault == "bogus_builds":
                if rng.random() < 0.5:
                    _set_build(ping, doc_type, rng.choice(["000000000000", "2026133099", "abc", "20261"]))
                    return self._quarantined(lines, truth, doc_type, ping, "malformed_build_id")
                _set_build(ping, doc_type, _build_id(day - timedelta(days=400), 3))
                lines[doc_type].append(self._serialize(ping, doc_type))
                truth.lines[doc_type]["excluded"] += 1
                return "excluded"
            if fault == "clock_skew" and doc_type != "glean_crash":  # Glean pings carry no creationDate
                skewed = datetime.combine(day, time(12)) - timedelta(days=rng.choice([-3, 30, 90, 400]))
                ping["creationDate"] = skewed.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            lines[doc_type].append(self._serialize(ping, doc_type))
            truth.lines[doc_type]["aggregated"] += 1
            cell_key = (client.channel, release.display_version, OS_NAMES[client.os_name])
            truth.cells[cell_key].update(measures)
            people = truth.clients[cell_key]
            if doc_type == "main" or (client.os_name == ANDROID_OS and doc_type == "glean_baseline"):
                people["active"].add(client.client_id)
            if doc_type in ("main", "glean_baseline") and client.os_name != ANDROID_OS:
                truth.desktop_usage_pings[doc_type] += 1
            elif measures.get("main_crashes") or measures.get("content_crashes"):
                people["crashing"].add(client.client_id)
            if fault == "duplicates":
                copy = dict(ping, meta=dict(ping["meta"], submissionTimestamp=f"{day}T23:59:59.999Z"))
                lines[doc_type].append(self._serialize(copy, doc_type))
                truth.lines[doc_type]["duplicates"] += 1
            return "aggregated"

        def emit_crash(
            crash: Crash, client: Client, release: Release, created: datetime, formats: str | None = None
        ) -> None:
            """One crash, in the formats Firefox sends that day: counted once whatever they are."""
            formats = formats or truth.formats
            if formats == "both" and crash.minidump_hash is None:
                formats = rng.choice(["legacy", "glean"])  # without a hash, only one copy is sent
            copies = []
            if formats in ("legacy", "both"):
                copies.append(("crash", self._legacy_crash(crash, client, release, day, created)))
            if formats in ("glean", "both"):
                copies.append(("glean_crash", self._glean_crash(crash, client, release, day, created)))
            # The copy the job must keep: the earliest submission, then the legacy one.
            copies.sort(key=lambda c: (c[1]["meta"]["submissionTimestamp"], c[0] != "crash"))
            (first_type, first), *others = copies
            outcome = emit(first_type, first, client, release, crash.counted)
            for doc_type, copy in others:
                if outcome == "quarantined":  # then this copy is the one counted
                    outcome = emit(doc_type, copy, client, release, crash.counted)
                else:
                    lines[doc_type].append(self._serialize(copy, doc_type))
                    truth.lines[doc_type]["duplicates"] += 1
            if outcome == "aggregated":
                key = (client.channel, release.display_version, OS_NAMES[client.os_name], *crash.reason_key)
                truth.reasons[key] += 1

        for client in self.clients:
            if rng.random() > client.activity:
                continue
            if s.fault_on("platform_drop", day) and client.os_name == "Darwin" and rng.random() < 0.6:
                continue
            release = self.release_for(client, day)
            age = (day - release.released).days
            rate = self.rate_per_1000h(client, release, age)
            key = (client.channel, release.display_version, OS_NAMES[client.os_name], age)
            for _ in range(1 + self._poisson(0.8)):
                created = datetime.combine(day, time()) + timedelta(seconds=rng.randrange(0, 86000))
                length = self._subsession_length()
                hours = min(length or 0, CAP_SECONDS) / SECONDS_PER_HOUR
                expected = rate * hours / 1000  # the population's mean: the truth
                own = expected * client.proneness  # this client's
                gpu = self._poisson(own * GPU_FACTOR)
                ping = self._envelope(client, release, day, created)
                ping["type"] = "main"
                info = {"reason": "daily", "sessionLength": length, "subsessionCounter": 1}
                if length is not None:
                    info["subsessionLength"] = length
                keyed = {"SUBPROCESS_CRASHES_WITH_DUMP": {"gpu": self._histogram(gpu)}} if gpu else {}
                ping["payload"] = {"info": info, "keyedHistograms": keyed, "histograms": "__PADDING__"}
                measures = {"ping_count": 1, "usage_seconds": min(length or 0, CAP_SECONDS), "gpu_crashes": gpu}
                measures |= {"usage_capped": int((length or 0) > CAP_SECONDS), "missing_usage": int(length is None)}
                ticks = self._active_ticks(length)
                if ticks is not None:
                    ping["payload"]["processes"] = {"parent": {"scalars": {"browser.engagement.active_ticks": ticks}}}
                measures["active_seconds"] = min(ticks * ACTIVE_TICK_SECONDS, CAP_SECONDS) if ticks else 0
                if emit("main", ping, client, release, measures) == "aggregated":
                    truth.expected[key][0] += hours
                    truth.expected[key][1] += expected
                if s.desktop_baseline_from is not None and day >= s.desktop_baseline_from:
                    for baseline, usage in self._baselines(client, release, day, created, length, ticks):
                        emit("glean_baseline", baseline, client, release, usage)
                processes = (
                    [("main", None)] * self._poisson(own)
                    + [("content", None)] * self._poisson(own * CONTENT_FACTOR)
                    + [("content", "ShutDownKill")] * self._poisson(own * SHUTDOWN_FACTOR)
                    + [("gpu", None)] * sum(rng.random() < GPU_PING_SHARE for _ in range(gpu))
                )
                # The regression's extra main crashes have a cause of their own, a new crash
                # reason (a GPU driver's module); the others keep the mix the releases share.
                planted = 1 - 1 / self.regression_factor(client, release)
                for process, ipc_error in processes:
                    new_reason = process == "main" and planted > 0 and rng.random() < planted
                    emit_crash(self._crash(client, process, ipc_error, new_reason), client, release, created)
        for client in self.android:
            self._android_day(client, day, emit, emit_crash)
        desktop_baseline = s.desktop_baseline_from is not None and day >= s.desktop_baseline_from
        sent = {
            "main",
            *(d for d, formats in (("crash", "glean"), ("glean_crash", "legacy")) if truth.formats != formats),
            *(("glean_crash", "glean_baseline") if self.android else ()),
            *(("glean_baseline",) if desktop_baseline else ()),
        }
        for doc_type in DOC_TYPES:
            if doc_type not in sent:
                del lines[doc_type], truth.lines[doc_type], truth.quarantine_reasons[doc_type]
                continue
            truth.lines[doc_type]["input_lines"] = len(lines[doc_type])
            rng.shuffle(lines[doc_type])
        return lines, truth

    def _active_ticks(self, length: int | None) -> int | None:
        """Five-second ticks with input in a session of ``length`` seconds (none without a length)."""
        if length is None or length <= 0:
            return None
        return int(length * self.usage_rng.uniform(*ACTIVE_SHARE)) // ACTIVE_TICK_SECONDS

    def _baseline(self, client: Client, release: Release, day: date, created: datetime, reason: str) -> dict:
        """A Glean baseline ping without its usage metrics (the caller adds them)."""
        envelope = self._envelope(client, release, day, created)  # the same time model, its own id
        android = client.os_name == ANDROID_OS
        meta = {
            "documentId": envelope["id"],
            "documentNamespace": ANDROID_NAMESPACE[client.channel] if android else "firefox-desktop",
            "submissionTimestamp": envelope["meta"]["submissionTimestamp"],
            "geoCountry": client.country,
        }
        return {
            "$schema": "moz://mozilla.org/schemas/glean/ping/1",
            "client_info": _client_info(client, release),
            "ping_info": {
                "seq": 1,
                "reason": reason,
                "start_time": created.strftime("%Y-%m-%dT%H:%M+00:00"),
                "end_time": created.strftime("%Y-%m-%dT%H:%M+00:00"),
            },
            "metrics": {},
            "meta": meta,
        }

    def _baselines(
        self, client: Client, release: Release, day: date, created: datetime, length: int | None, ticks: int | None
    ) -> list[tuple[dict, dict[str, int]]]:
        """Firefox desktop's baseline pings of the session a main ping describes, each with what
        it adds as a usage source: the ``inactive`` ping carries the duration (in seconds, or
        milliseconds) and the ticks; an ``active`` one, sometimes sent too, carries neither."""
        rng = self.usage_rng
        pings = []
        if rng.random() < EXTRA_ACTIVE_PING_SHARE:
            pings.append((self._baseline(client, release, day, created, "active"), {"baseline_pings": 1}))
        ping = self._baseline(client, release, day, created, "inactive" if length is not None else "dirty_startup")
        usage = {"baseline_pings": 1, "baseline_usage_seconds": 0, "baseline_active_seconds": 0}
        if length is not None:
            in_ms = rng.random() < 0.2
            value = length * 1000 + rng.randrange(1000) if in_ms else length
            duration = {"time_unit": "millisecond" if in_ms else "second", "value": value}
            ping["metrics"]["timespan"] = {"glean.baseline.duration": duration}
            usage["baseline_usage_seconds"] = min(max(length, 0), CAP_SECONDS)
        if ticks is not None:
            ping["metrics"]["counter"] = {"browser.engagement.active_ticks_non_synthesized": ticks}
            # Synthesized pointer events inflate the plain counter (Firefox 140 on): never the one read.
            ping["metrics"]["counter"]["browser.engagement.active_ticks"] = ticks + rng.randrange(0, 50)
            usage["baseline_active_seconds"] = min(ticks * ACTIVE_TICK_SECONDS, CAP_SECONDS)
        pings.append((ping, usage))
        return pings

    def _android_day(self, client: Client, day: date, emit, emit_crash) -> None:  # type: ignore[no-untyped-def]
        """One Firefox for Android client's day: baseline pings (foreground time, in
        milliseconds) and Glean crash pings, under its app id's namespace."""
        rng = self.android_rng
        if rng.random() > client.activity:
            return
        release = self.release_for(client, day)
        rate = self.rate_per_1000h(client, release, (day - release.released).days)
        for _ in range(1 + self._poisson(1.5)):
            created = datetime.combine(day, time()) + timedelta(seconds=rng.randrange(0, 86000))
            seconds = min(CAP_SECONDS, max(1, int(rng.lognormvariate(math.log(900), 1.0))))
            ping = self._baseline(client, release, day, created, "inactive")
            value = seconds * 1000 + rng.randrange(1000)
            ping["metrics"]["timespan"] = {"glean.baseline.duration": {"time_unit": "millisecond", "value": value}}
            used = {"ping_count": 1, "usage_seconds": seconds, "active_seconds": seconds}
            emit("glean_baseline", ping, client, release, used)
            own = rate * seconds / SECONDS_PER_HOUR / 1000
            main, content = self._poisson(own), self._poisson(own * CONTENT_FACTOR)
            for process, ipc_error in [("main", None)] * main + [("content", None)] * content:
                emit_crash(self._crash(client, process, ipc_error), client, release, created, formats="glean")

    def _crash(self, client: Client, process: str, ipc_error: str | None, new_reason: bool = False) -> Crash:
        rng = self.rng
        modules = MODULES[client.os_name] + ((PLANTED_MODULE,) if new_reason else ())
        crash = Crash(
            process_type=None if process == "main" and rng.random() < 0.1 else process,
            ipc_error=ipc_error,
            startup=rng.random() < STARTUP_SHARE,
            oom=rng.random() < OOM_SHARE,
            shutdown_hang=rng.random() < SHUTDOWN_HANG_SHARE,
            background_task=rng.random() < BACKGROUND_TASK_SHARE,
            minidump_hash=None if rng.random() < UNHASHED_SHARE else f"{rng.getrandbits(256):064x}",
            crash_type=CRASH_TYPES[client.os_name],
            modules=modules,
            crashing_module_index=rng.randrange(len(modules)),
            moz_crash_reason=rng.choice(MOZ_CRASH_REASONS) if rng.random() < MOZ_CRASH_REASON_SHARE else None,
        )
        if new_reason:  # the planted cause: always its own module, never a MOZ_CRASH reason
            return replace(crash, crashing_module_index=len(modules) - 1, moz_crash_reason=None)
        return crash

    def _legacy_crash(self, crash: Crash, client: Client, release: Release, day: date, created: datetime) -> dict:
        ping = self._envelope(client, release, day, created)
        ping["type"] = "crash"
        metadata = {
            "StartupCrash": "1" if crash.startup else "0",
            "ipc_channel_error": crash.ipc_error,
            "OOMAllocationSize": "1048576" if crash.oom else None,
            "AsyncShutdownTimeout": '{"phase":"profile-before-change"}' if crash.shutdown_hang else None,
            "BackgroundTaskName": "backgroundupdate" if crash.background_task else None,
            "MozCrashReason": crash.moz_crash_reason,
        }
        traces = crash.stack_traces(legacy=True)
        traces["unloaded_modules"] = "__PADDING__"
        ping["payload"] = {
            "crashDate": day.isoformat(),
            "processType": crash.process_type,
            "metadata": {k: v for k, v in metadata.items() if v is not None},
            "stackTraces": traces,
        }
        if crash.minidump_hash is not None:
            ping["payload"]["minidumpSha256Hash"] = crash.minidump_hash
        return ping

    def _glean_crash(self, crash: Crash, client: Client, release: Release, day: date, created: datetime) -> dict:
        """The Glean crash ping of the same crash: its own document id and submission time.

        Some are reported by the next start of Firefox, already updated: its client_info
        then names another build, and only the crash.app_* metrics name the one that crashed.
        """
        legacy = self._envelope(client, release, day, created)  # the same time model, its own id
        reporter = release
        android = client.os_name == ANDROID_OS
        if not android and self.rng.random() < REPORTER_UPDATED_SHARE:
            reporter = Release(release.channel, "999.0", "999.0", day, _build_id(day, 1))
        strings = {
            "crash.app_channel": release.channel,
            "crash.app_display_version": release.display_version,
            "crash.app_build": release.build_id,
            "crash.process_type": crash.process_type,
            "crash.ipc_channel_error": crash.ipc_error,
            "crash.background_task_name": "backgroundupdate" if crash.background_task else None,
            "crash.minidump_sha256_hash": crash.minidump_hash,
            "crash.moz_crash_reason": crash.moz_crash_reason,
        }
        metrics: dict[str, dict] = {
            "string": {k: v for k, v in strings.items() if v is not None},
            "boolean": {"crash.startup": crash.startup},
            "object": {"crash.stack_traces": crash.stack_traces(legacy=False)},
        }
        if crash.oom:
            metrics["quantity"] = {"memory.oom_allocation_size": 1048576}
        if crash.shutdown_hang:
            metrics["object"]["crash.async_shutdown_timeout"] = {"phase": "profile-before-change"}
        if android and crash.modules[crash.crashing_module_index] == JAVA_MODULE:
            metrics["object"]["crash.java_exception"] = JAVA_EXCEPTION  # no draw: every other stream unchanged
        return {
            "$schema": "moz://mozilla.org/schemas/glean/ping/1",
            "client_info": _client_info(client, reporter),
            "ping_info": {"seq": 1, "reason": "crash", "experiments": "__PADDING__"},
            "metrics": metrics,
            "meta": {
                "documentId": legacy["id"],
                **({"documentNamespace": ANDROID_NAMESPACE[client.channel]} if android else {}),
                "submissionTimestamp": legacy["meta"]["submissionTimestamp"],
                "geoCountry": client.country,
            },
        }

    def _fault_for(self, day: date, doc_type: str) -> str | None:
        """At most one fault per line, drawn among the faults switched on for the day."""
        # Each fault plants clearly more than its check allows, even on a small day: a
        # share check allows for chance (lib.quality.checks.share_beyond_chance).
        rates = {
            "duplicates": 0.3,
            "negative_lengths": 0.05,
            "clock_skew": 0.25,
            "bogus_builds": 0.1,  # half excluded as too old (exclusion_share allows 2%), half malformed
            "malformed_lines": 0.05,
            "wrong_types": 0.05,
        }
        draw = self.rng.random()
        for name, rate in rates.items():
            if self.settings.fault_on(name, day):
                if draw < rate:
                    return name
                draw -= rate
        return None

    def _quarantined(self, lines: dict[str, list[str]], truth: DayTruth, doc_type: str, ping: dict, reason: str) -> str:
        lines[doc_type].append(self._serialize(ping, doc_type))
        truth.lines[doc_type]["quarantined"] += 1
        truth.quarantine_reasons[doc_type][reason] += 1
        return "quarantined"

    def _subsession_length(self) -> int | None:
        draw = self.rng.random()
        if draw < 0.01:
            return None
        if draw < 0.013:
            return self.rng.randrange(86401, 300000)  # a stuck session: capped at 24 h
        # Firefox splits subsessions at midnight, so ordinary lengths stay within a day.
        return min(CAP_SECONDS, max(1, int(self.rng.lognormvariate(math.log(7200), 1.0))))

    def _poisson(self, mean: float) -> int:
        # Knuth's method: the means here are small.
        limit, k, p = math.exp(-mean), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    @staticmethod
    def _histogram(total: int) -> dict:
        return {
            "bucket_count": 3,
            "histogram_type": 4,
            "sum": total,
            "range": [1, 2],
            "values": {"0": total, "1": 0},
        }
