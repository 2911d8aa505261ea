"""The per-ping rules of SPEC section 3, as column functions (Column in, Column out).

They stay in the JVM and pass nulls through; the transforms in
:mod:`lib.transform.classify` apply them to the parsed pings.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column
from pyspark.sql import functions as F

from lib.contract.vocabulary import FIREFOX_VERSION, KNOWN_CHANNELS, OS_NAMES, OTHER, UNKNOWN_COUNTRY

# A build id starts with its build time, yyyyMMddHH...
BUILD_ID_PATTERN = r"^[0-9]{10}"


def blank_to_null(text: Column) -> Column:
    """An empty or all-blank string says nothing: treat it as missing."""
    return F.when(F.trim(text) != "", text)


def channel(raw: Column) -> Column:
    """``release``/``beta``/``nightly``/``esr``/``aurora``, their ``-cck-`` partner builds, else Other."""
    lowered = F.lower(raw)
    cck = F.regexp_extract(lowered, rf"^({'|'.join(KNOWN_CHANNELS)})-cck-", 1)
    return F.when(lowered.isin(*KNOWN_CHANNELS), lowered).when(cck != "", cck).when(raw.isNotNull(), F.lit(OTHER))


def looks_like_firefox_version(version: Column) -> Column:
    """True when ``version`` has the form of a Firefox version (``FIREFOX_VERSION``); null when null."""
    # Java's $ also matches before a final line break: no white space at all.
    return version.rlike(FIREFOX_VERSION) & ~version.rlike("\\s")


def printable(text: Column, length: int = 40) -> Column:
    """``text`` cut to ``length`` characters, anything but printable ASCII as ``?``: what a
    log, a table or a page may show of a value that failed a rule."""
    return F.regexp_replace(F.substring(text, 1, length), "[^\\x20-\\x7E]", "?")


def major_version(version: Column) -> Column:
    """The leading integer of a version: ``"120.0.1"`` is 120; null when there is none."""
    return F.regexp_extract(version, r"^([0-9]+)", 1).try_cast("int")


def os_family(name: Column, names: Mapping[str, str] = OS_NAMES) -> Column:
    """``Windows_NT`` is Windows, ``Darwin`` is Mac, ...; anything else, or missing, is Other.

    ``names`` maps the raw names of the ping's format to the families."""
    mapping = F.create_map(*[F.lit(x) for pair in names.items() for x in pair])
    return F.coalesce(mapping[name], F.lit(OTHER))


def os_version(version: Column) -> Column:
    """The leading numeric part, at most three components: ``"6.1-foo"`` is ``"6.1"``."""
    prefix = F.regexp_extract(version, r"^[0-9]+(\.[0-9]+){0,2}", 0)
    return F.when(prefix != "", prefix)


def build_date(build_id: Column) -> Column:
    """The date in a build id's first 8 digits; null unless it starts with 10 digits and a real date."""
    return F.when(
        build_id.rlike(BUILD_ID_PATTERN),
        F.try_to_timestamp(F.substring(build_id, 1, 8), F.lit("yyyyMMdd")).cast("date"),
    )


def country(geo_country: Column) -> Column:
    """Two ASCII letters, upper-cased; anything else (missing, empty, ``"C\ufffd"``) is ``??``."""
    return F.when(geo_country.rlike("^[A-Za-z]{2}$"), F.upper(geo_country)).otherwise(F.lit(UNKNOWN_COUNTRY))


def usage_seconds(subsession_seconds: Column, cap_seconds: int) -> Column:
    """Seconds of use, capped; a missing length counts zero (the ping still counts).

    Note ``least`` skips nulls (``least(null, cap)`` is the cap), hence the ``when``.
    """
    capped = F.least(subsession_seconds, F.lit(cap_seconds))
    return F.when(subsession_seconds.isNotNull(), capped).otherwise(F.lit(0))


def version_of_display(display_version: Column) -> Column:
    """A Glean ping's version: its display version without a beta suffix
    (``"147.0b3"`` is ``"147.0"``; ``"148.0a1"`` and ``"146.0.1"`` stay)."""
    return F.regexp_replace(display_version, r"b[0-9]+$", "")


def crashing_module(stack_traces: Column, crashing_thread: Column) -> Column:
    """The file name of the module holding the first frame of the crashing thread, from a
    stack-traces variant; null wherever the traces are malformed or point nowhere."""
    threads = F.try_variant_get(stack_traces, "$.threads", "array<variant>")
    thread = F.when(crashing_thread >= 0, F.try_element_at(threads, crashing_thread + 1))
    module_index = F.try_variant_get(thread, "$.frames[0].module_index", "int")
    modules = F.try_variant_get(stack_traces, "$.modules", "array<variant>")
    module = F.when(module_index >= 0, F.try_element_at(modules, module_index + 1))
    return blank_to_null(F.try_variant_get(module, "$.filename", "string"))


def flag(condition: Column) -> Column:
    """1 when the condition holds, else 0 (null counts as not holding)."""
    return F.when(condition, F.lit(1)).otherwise(F.lit(0)).cast("long")
