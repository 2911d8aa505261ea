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
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from lib.contract.vocabulary import OS_NAMES, SECONDS_PER_HOUR, Limits

ANCHOR_MAJOR, ANCHOR_DATE = 147, date(2026, 1, 13)
CYCLE_DAYS = 28
ESR_MAJOR = 140
CAP_SECONDS = Limits().usage_cap_seconds  # the truth is computed under the default cap

CHANNEL_SHARE = {"release": 0.78, "beta": 0.09, "nightly": 0.05, "esr": 0.08}
ADOPTION_TAU_DAYS = {"release": 4.0, "esr": 6.0, "beta": 1.5, "nightly": 0.7}
OS_SHARE = {"Windows_NT": 0.70, "Darwin": 0.18, "Linux": 0.12}
OS_VERSIONS = {
    "Windows_NT": ["10.0.19045", "10.0.22631", "6.1"],
    "Darwin": ["23.6.0", "24.1.0"],
    "Linux": ["6.8.0-45-generic", "5.15.0.1.2"],
}
ARCHITECTURE = {"Windows_NT": "x86-64", "Darwin": "aarch64", "Linux": "x86-64"}
COUNTRIES = ["US", "DE", "FR", "BR", "IN", "CA", "JP", "GB", "PL", "ID"]

# Main-process crashes per 1,000 usage hours, before the factors below.
BASE_RATE = {"Windows_NT": 2.2, "Darwin": 1.4, "Linux": 1.8}
CHANNEL_FACTOR = {"release": 1.0, "esr": 0.8, "beta": 1.6, "nightly": 3.0}
EARLY_DAYS_EXTRA, EARLY_DAYS_SCALE = 0.8, 3.0
# Other crash kinds relative to the main-process rate.
CONTENT_FACTOR, SHUTDOWN_FACTOR, GPU_FACTOR = 1.2, 0.6, 0.25
STARTUP_SHARE = 0.15
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

    def fault_on(self, name: str, day: date) -> bool:
        if name not in self.faults:
            return False
        days = self.faults[name]
        return days is None or day in days

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
            )
        )
    return clients


class Padding:
    """Serialized filler histograms, so ping sizes look like the real thing."""

    def __init__(self, rng: random.Random, total_kb: int = 210) -> None:
        self.fragments: list[str] = []
        self._cache: dict[int, str] = {}
        size = 0
        while size < total_kb * 1024:
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

    lines: dict[str, Counter[str]] = field(default_factory=lambda: {"main": Counter(), "crash": Counter()})
    quarantine_reasons: dict[str, Counter[str]] = field(default_factory=lambda: {"main": Counter(), "crash": Counter()})
    # (channel, display_version, os family) -> measure -> value, over aggregated pings only
    cells: dict[tuple[str, str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # (channel, display_version, os family, true release age) -> [usage hours, expected main crashes]
    expected: dict[tuple[str, str, str, int], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0.0, 0.0])
    )

    def to_json(self) -> dict[str, object]:
        return {
            "lines": {k: dict(v) for k, v in self.lines.items()},
            "quarantine_reasons": {k: dict(v) for k, v in self.quarantine_reasons.items()},
            "cells": [
                {"channel": c, "display_version": v, "os": o, **counts}
                for (c, v, o), counts in sorted(self.cells.items())
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
        self.padding = Padding(random.Random(settings.seed + 2))
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

    def rate_per_1000h(self, client: Client, release: Release, age: int) -> float:
        rate = BASE_RATE[client.os_name] * CHANNEL_FACTOR[client.channel] * early_days_factor(age)
        rate *= self.settings.rate_scale
        if self.settings.regression and client.channel == "release":
            os_name, offset, factor = self.settings.regression
            if client.os_name == os_name and release.version.startswith(f"{self.newest_major - offset}."):
                rate *= factor
        return rate

    def calendar(self) -> dict[str, dict[str, str]]:
        omit = {f"{self.newest_major}.0"} if "calendar_missing_version" in self.settings.faults else set()
        return calendar_files(self.releases, omit)

    # -- pings --------------------------------------------------------------------------

    def _size_kb(self, doc_type: str) -> float:
        if self.settings.ping_size == "small":
            return 0
        if doc_type == "crash":
            return self.rng.uniform(4, 12)
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
        """All landing lines of one submission date, per doc type, and their truth."""
        s, rng, truth = self.settings, self.rng, DayTruth()
        lines: dict[str, list[str]] = {"main": [], "crash": []}

        def emit(doc_type: str, ping: dict, client: Client, release: Release, measures: dict[str, int]) -> None:
            fault = self._fault_for(day, doc_type)
            if fault == "negative_lengths" and doc_type == "main" and ping["payload"]["info"].get("subsessionLength"):
                ping["payload"]["info"]["subsessionLength"] *= -1
                return self._quarantined(lines, truth, doc_type, ping, "negative_subsession_length")
            if fault == "wrong_types" and doc_type == "main":
                ping["payload"]["info"]["subsessionLength"] = str(ping["payload"]["info"].get("subsessionLength"))
                return self._quarantined(lines, truth, doc_type, ping, "wrong_type")
            if fault == "malformed_lines":
                text = self._serialize(ping, doc_type)
                lines[doc_type].append(text[: len(text) // 2])
                truth.lines[doc_type]["quarantined"] += 1
                truth.quarantine_reasons[doc_type]["not_json_object"] += 1
                return None
            if fault == "bogus_builds":
                if rng.random() < 0.5:
                    bogus = rng.choice(["000000000000", "2026133099", "abc", "20261"])
                    ping["application"]["buildId"] = ping["environment"]["build"]["buildId"] = bogus
                    return self._quarantined(lines, truth, doc_type, ping, "malformed_build_id")
                ancient = _build_id(day - timedelta(days=400), 3)
                ping["application"]["buildId"] = ping["environment"]["build"]["buildId"] = ancient
                lines[doc_type].append(self._serialize(ping, doc_type))
                truth.lines[doc_type]["excluded"] += 1
                return None
            if fault == "clock_skew":
                skewed = datetime.combine(day, time(12)) - timedelta(days=rng.choice([-3, 30, 90, 400]))
                ping["creationDate"] = skewed.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            text = self._serialize(ping, doc_type)
            lines[doc_type].append(text)
            truth.lines[doc_type]["aggregated"] += 1
            cell = truth.cells[(client.channel, release.display_version, OS_NAMES[client.os_name])]
            cell.update(measures)
            if fault == "duplicates":
                copy = dict(ping, meta=dict(ping["meta"], submissionTimestamp=f"{day}T23:59:59.999Z"))
                lines[doc_type].append(self._serialize(copy, doc_type))
                truth.lines[doc_type]["duplicates"] += 1
            return None

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
                expected = rate * hours / 1000
                gpu = self._poisson(expected * GPU_FACTOR)
                ping = self._envelope(client, release, day, created)
                ping["type"] = "main"
                info = {"reason": "daily", "sessionLength": length, "subsessionCounter": 1}
                if length is not None:
                    info["subsessionLength"] = length
                keyed = {"SUBPROCESS_CRASHES_WITH_DUMP": {"gpu": self._histogram(gpu)}} if gpu else {}
                ping["payload"] = {"info": info, "keyedHistograms": keyed, "histograms": "__PADDING__"}
                measures = {"ping_count": 1, "usage_seconds": min(length or 0, CAP_SECONDS), "gpu_crashes": gpu}
                measures |= {"usage_capped": int((length or 0) > CAP_SECONDS), "missing_usage": int(length is None)}
                before = truth.lines["main"]["aggregated"]
                emit("main", ping, client, release, measures)
                if truth.lines["main"]["aggregated"] > before:
                    truth.expected[key][0] += hours
                    truth.expected[key][1] += expected
                crashes = (
                    [("main", None)] * self._poisson(expected)
                    + [("content", None)] * self._poisson(expected * CONTENT_FACTOR)
                    + [("content", "ShutDownKill")] * self._poisson(expected * SHUTDOWN_FACTOR)
                    + [("gpu", None)] * sum(rng.random() < GPU_PING_SHARE for _ in range(gpu))
                )
                for process, ipc_error in crashes:
                    crash = self._envelope(client, release, day, created)
                    crash["type"] = "crash"
                    startup = rng.random() < STARTUP_SHARE
                    metadata = {"StartupCrash": "1" if startup else "0", "ipc_channel_error": ipc_error}
                    crash["payload"] = {
                        "crashDate": day.isoformat(),
                        "processType": None if process == "main" and rng.random() < 0.1 else process,
                        "metadata": {k: v for k, v in metadata.items() if v is not None},
                        "stackTraces": "__PADDING__",
                    }
                    counted = {
                        "main_crashes": int(process == "main"),
                        "content_crashes": int(process == "content" and ipc_error is None),
                        "content_shutdown_crashes": int(ipc_error is not None),
                        "startup_crashes": int(startup),
                    }
                    emit("crash", crash, client, release, counted)
        for doc_type in lines:
            truth.lines[doc_type]["input_lines"] = len(lines[doc_type])
            rng.shuffle(lines[doc_type])
        return lines, truth

    def _fault_for(self, day: date, doc_type: str) -> str | None:
        """At most one fault per line, drawn among the faults switched on for the day."""
        rates = {
            "duplicates": 0.3,
            "negative_lengths": 0.05,
            "clock_skew": 0.25,
            "bogus_builds": 0.05,
            "malformed_lines": 0.02,
            "wrong_types": 0.02,
        }
        draw = self.rng.random()
        for name, rate in rates.items():
            if self.settings.fault_on(name, day):
                if draw < rate:
                    return name
                draw -= rate
        return None

    def _quarantined(
        self, lines: dict[str, list[str]], truth: DayTruth, doc_type: str, ping: dict, reason: str
    ) -> None:
        lines[doc_type].append(self._serialize(ping, doc_type))
        truth.lines[doc_type]["quarantined"] += 1
        truth.quarantine_reasons[doc_type][reason] += 1

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
