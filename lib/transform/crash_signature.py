"""Crash signatures as Mozilla computes them: the pure part, no Spark (SPEC section 4).

A signature is what ``siggen``'s :class:`SignatureGenerator` returns for a crash
built as Mozilla's crash-ping-ingest builds it from a crash ping. This module holds
what needs no cluster, so each piece is tested in milliseconds:

- :func:`crash_data`, siggen's input from plain Python values (frames already
  symbolicated, annotations as the pings hold them), and :func:`signature` of it;
- :func:`parse_sym` and :class:`SymbolTable`, a Breakpad ``.sym`` file and the
  function holding a module offset (the reference the Spark symbolication of
  :mod:`lib.transform.signatures` is tested against);
- :func:`sym_path`, where a module's symbols live in a symbol store, and
  :func:`address`, an address as the pings write it (hex text or a number).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from typing import Any

SIGGEN_VERSION = version("siggen")
# siggen reads at most this many frames of a thread (rules.MAXIMUM_FRAMES_TO_CONSIDER):
# the frames past it cannot change a signature, so they are not symbolicated.
FRAMES_CONSIDERED = 40
# Socorro's names of the operating systems, which siggen compares with ("Windows NT"
# lower-cases module names); keys are both formats' raw names.
SOCORRO_OS = {
    "Windows_NT": "Windows NT",
    "Windows": "Windows NT",
    "Darwin": "Mac OS X",
    "Linux": "Linux",
    "Android": "Android",
}

# Breakpad records (https://chromium.googlesource.com/breakpad/breakpad/+/master/docs/symbol_files.md):
#   FUNC [m] address size parameter_size name
#   PUBLIC [m] address parameter_size name
# The same patterns serve Python's re and Spark's regexp_extract (Java regex).
FUNC_PATTERN = r"^FUNC (?:m )?([0-9a-fA-F]+) ([0-9a-fA-F]+) [0-9a-fA-F]+ (.*)$"
PUBLIC_PATTERN = r"^PUBLIC (?:m )?([0-9a-fA-F]+) [0-9a-fA-F]+ (.*)$"


def address(value: object) -> int | None:
    """An address as the pings write it: hex text (``"0x7ff6a1b2c3d4"``) or a number; None
    for anything else (a negative number, text that is no hex, a boolean)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and re.fullmatch(r"0[xX][0-9a-fA-F]+", value.strip()):
        return int(value.strip(), 16)
    return None


def hex_offset(offset: int) -> str:
    """A module offset as Socorro writes it: ``0x1a2b``."""
    return f"0x{offset:x}"


def sym_path(debug_file: str, debug_id: str) -> str:
    """Where a module's symbols are, relative to the store: ``xul.pdb/ABC1/xul.sym``."""
    name = debug_file[:-4] if debug_file.lower().endswith(".pdb") else debug_file
    return f"{debug_file}/{debug_id}/{name}.sym"


@dataclass(frozen=True)
class SymbolTable:
    """One module's FUNC and PUBLIC records, each sorted by address."""

    functions: tuple[tuple[int, int, str], ...]  # (address, size, name)
    publics: tuple[tuple[int, str], ...]  # (address, name)

    def resolve(self, offset: int) -> str | None:
        """The function holding ``offset``: the FUNC record whose [address, address + size)
        holds it, else the last PUBLIC record at or below it; None when neither."""
        i = bisect.bisect_right(self.functions, offset, key=lambda f: f[0]) - 1
        if i >= 0:
            start, size, name = self.functions[i]
            if offset < start + size:
                return name
        j = bisect.bisect_right(self.publics, offset, key=lambda p: p[0]) - 1
        return self.publics[j][1] if j >= 0 else None


def parse_sym(lines: Iterable[str]) -> SymbolTable:
    """A Breakpad ``.sym`` file's FUNC and PUBLIC records; every other line is ignored."""
    functions, publics = [], []
    for line in lines:
        line = line.rstrip("\r\n")
        if found := re.match(FUNC_PATTERN, line):
            functions.append((int(found[1], 16), int(found[2], 16), found[3]))
        elif found := re.match(PUBLIC_PATTERN, line):
            publics.append((int(found[1], 16), found[2]))
    return SymbolTable(tuple(sorted(functions)), tuple(sorted(publics)))


def async_shutdown_text(value: object) -> str | None:
    """The AsyncShutdownTimeout annotation as the text siggen reads (Socorro stores it as
    text): Glean sends an object whose ``conditions`` may be JSON text, which siggen wants
    as an array, so that text is parsed first. Text that is no JSON passes as it is."""
    if value is None:
        return None
    parsed = value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value  # siggen's rule reads what it can, and says UNKNOWN
    if isinstance(parsed, dict) and isinstance(parsed.get("conditions"), str):
        try:
            return json.dumps({**parsed, "conditions": json.loads(parsed["conditions"])})
        except ValueError:
            pass
    return value if isinstance(value, str) else json.dumps(parsed)


def _split_class(name: str | None) -> tuple[str | None, str | None]:
    """``java.lang.IllegalStateException`` -> (``java.lang``, ``IllegalStateException``)."""
    if not name:
        return None, None
    module, _, exc_type = name.rpartition(".")
    return module or None, exc_type


def _java_frame(frame: Mapping[str, Any]) -> dict[str, Any]:
    def first(*keys: str) -> Any:
        return next((frame[k] for k in keys if frame.get(k) is not None), None)

    return {
        "module": first("module", "className", "class_name"),
        "function": first("function", "methodName", "method_name"),
        "filename": first("filename", "file"),
    }


def java_exception(value: object) -> dict[str, Any] | None:
    """Firefox for Android's ``crash.java_exception`` (``{"throwables": [{"type_name",
    "stack"}]}``, or the older ``{"messages", "stack"}``) as siggen's exception structure,
    as crash-ping-ingest converts it; None when absent or unreadable."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    module = exc_type = None
    throwables = value.get("throwables")
    if isinstance(throwables, list):
        first = throwables[0] if throwables and isinstance(throwables[0], dict) else {}
        module, exc_type = _split_class(first.get("type_name") or first.get("typeName"))
        frames = first.get("stack") or []
    else:
        messages = value.get("messages") or []
        head = str(messages[0]).split(":", 1)[0] if messages else ""
        if ":" in str(messages[0] if messages else "") and head.endswith("Exception"):
            module, exc_type = _split_class(head)
        frames = value.get("stack") or []
    stacktrace = {
        "module": module,
        "type": exc_type,
        "frames": [_java_frame(f) for f in frames if isinstance(f, dict)],
    }
    return {"exception": {"values": [{"stacktrace": stacktrace}]}}


def frame(module: str | None, module_offset: int | None, function: str | None, ip: int | None) -> dict[str, Any]:
    """One frame as siggen reads it: the function when symbols gave one, else module and
    offset in it, else (no module) the absolute address."""
    out: dict[str, Any] = {}
    if function is not None:
        out["function"] = function
    if module is not None and module_offset is not None:
        out["module"] = module
        out["module_offset"] = hex_offset(module_offset)
    elif ip is not None:
        out["offset"] = hex_offset(ip)
    return out


def crash_data(
    os: str | None,
    crashing_thread: int | None,
    threads: Mapping[int, Sequence[Mapping[str, Any]]],
    moz_crash_reason: str | None = None,
    oom_allocation_size: int | str | None = None,
    ipc_channel_error: str | None = None,
    async_shutdown_timeout: object = None,
    java_exception_value: object = None,
) -> dict[str, Any]:
    """siggen's input for one crash. ``os`` is the ping's raw name (``Windows_NT``,
    ``Darwin``, ...); ``threads`` maps a thread's index to its frames (see :func:`frame`),
    the threads not given having none; the annotations are as the pings hold them."""
    count = max([*threads, crashing_thread if crashing_thread is not None else -1], default=-1) + 1
    data: dict[str, Any] = {
        "os": SOCORRO_OS.get(os or "", os),
        "crashing_thread": crashing_thread,
        "threads": [{"frames": list(threads.get(i, ()))} for i in range(count)],
    }
    size = _integer(oom_allocation_size)
    optional = {
        "moz_crash_reason": moz_crash_reason,
        "oom_allocation_size": size,
        "ipc_channel_error": ipc_channel_error,
        "async_shutdown_timeout": async_shutdown_text(async_shutdown_timeout),
        "java_exception": java_exception(java_exception_value),
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data


def _integer(value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    try:
        return int(value.strip())
    except ValueError:
        return None


@cache
def _generator():  # type: ignore[no-untyped-def]
    from siggen.generator import SignatureGenerator  # loads its lists: only where signatures are made

    return SignatureGenerator()


def signature(data: Mapping[str, Any]) -> str:
    """siggen's signature of :func:`crash_data`'s dict (empty text when it finds none)."""
    return str(_generator().generate(dict(data)).signature)
