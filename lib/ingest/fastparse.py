"""The fast half of the parse: simdjson over Arrow batches of raw lines, on the executors.

:func:`lib.ingest.pings.read_pings` hands every batch of lines to :func:`parse_batches`
through ``mapInArrow``. For each line it either *decides* it (a JSON object whose every
field the job reads has the declared JSON type or is absent) and yields those fields
typed, or leaves it *undecided*, and the exact Spark parse of ``lib.ingest.pings`` reads
that line alone. A line is undecided whenever simdjson and Spark's parser (Jackson)
could disagree about it, so the two paths give the same row for every line
(``tests/lib/ingest/test_fastparse.py`` proves it line by line):

* simdjson refuses it (not JSON, ``NaN``, an integer beyond 64 bits, bad escapes, a blank
  line, trailing text): Jackson may read some of those, so let it say;
* it is not an object, or an object the job descends into is not an object;
* a field the job reads has another JSON type (a wrong type: Spark names the type),
  or an integer outside the signed 64 bits Spark reads as ``bigint``;
* an object the job descends into repeats a key (Spark refuses duplicate keys);
* it nests deeper than Jackson's 1,000 levels (simdjson reads 1,024);
* it opens with a byte-order mark, which simdjson skips and Jackson refuses.

Lines a real landing zone sends are decided; faults and hostile input take the exact
path, which costs them nothing extra in correctness and little in time.

This module runs in the Python workers: no Spark import, pure functions over bytes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import simdjson

UNDECIDED = "_undecided"
# Jackson refuses documents nested deeper than this; simdjson refuses beyond SIMDJSON_DEPTH.
JACKSON_MAX_DEPTH = 1000
SIMDJSON_DEPTH = 1024
_PAD = SIMDJSON_DEPTH - JACKSON_MAX_DEPTH
_OPEN, _CLOSE = b"[" * _PAD, b"]" * _PAD
INT64 = (-(1 << 63), (1 << 63) - 1)
BYTE_ORDER_MARK = "\ufeff".encode()

# The Python type a declared leaf accepts, by the Spark type's simple name.
ARROW_TYPES = {"string": pa.string(), "bigint": pa.int64(), "boolean": pa.bool_()}


@dataclass(frozen=True)
class FastLeaf:
    """A leaf the fast path types: its JSON path and declared type (``string``, ``bigint``, ``boolean``)."""

    path: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Plan:
    """What to read from each line: the typed leaves (in output order) and the paths of
    variant leaves, whose values Spark reads itself (only their presence matters here)."""

    leaves: tuple[FastLeaf, ...]
    variant_paths: tuple[tuple[str, ...], ...] = ()

    @cached_property
    def tree(self) -> dict:
        """Nested dicts by key: a leaf is its output position (int), a variant leaf is None."""
        root: dict = {}
        for position, leaf in enumerate(self.leaves):
            _insert(root, leaf.path, position)
        for path in self.variant_paths:
            _insert(root, path, None)
        return root


def _insert(node: dict, path: tuple[str, ...], value: int | None) -> None:
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


class Undecided(Exception):
    """The line needs the exact parse."""


def _accepts(kind: str, value: object) -> bool:
    if kind == "string":
        return type(value) is str
    if kind == "bigint":
        return type(value) is int and INT64[0] <= value <= INT64[1]  # type: ignore[operator]
    return type(value) is bool


def _walk(obj: simdjson.Object, node: dict, kinds: Sequence[str], out: list) -> None:
    keys = list(obj.keys())
    present = set(keys)
    if len(present) != len(keys):
        raise Undecided  # a repeated key: Spark refuses it
    for key, child in node.items():
        if key not in present:
            continue
        value = obj[key]
        if isinstance(child, dict):
            if type(value) is not simdjson.Object:
                raise Undecided  # null or another type where an object is read
            _walk(value, child, kinds, out)
        elif child is not None and value is not None:
            if not _accepts(kinds[child], value):
                raise Undecided
            out[child] = value


def read_line(parser: simdjson.Parser, line: bytes, plan: Plan, kinds: Sequence[str]) -> list | None:
    """The typed leaves of one line, in ``plan.leaves`` order, or None when it is undecided."""
    # More brackets than Jackson's depth allows: parse it wrapped in the difference, so
    # simdjson's own depth limit refuses exactly what Jackson's would.
    if line.startswith(BYTE_ORDER_MARK):
        return None
    # A line long enough to nest deeper than Jackson reads is parsed wrapped in the
    # difference, so that simdjson's own depth limit refuses exactly what Jackson's
    # would (cheaper than counting brackets); each wrapper must hold exactly one value,
    # or the line was several values, e.g. '{...}],[{...}'.
    deep = len(line) > 2 * JACKSON_MAX_DEPTH
    out: list = [None] * len(kinds)
    doc: Any = None
    try:
        doc = parser.parse(_OPEN + line + _CLOSE if deep else line)
        if deep:
            for _ in range(_PAD):
                if len(doc) != 1:
                    return None
                doc = doc[0]
        if type(doc) is not simdjson.Object:
            return None
        _walk(doc, plan.tree, kinds, out)
    except (ValueError, RuntimeError, TypeError, Undecided):
        return None
    finally:
        doc = None  # the parser is reused: no proxy into its buffer may outlive the line
    return out


def parse_batches(batches: Iterator[pa.RecordBatch], plan: Plan) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: each batch with ``_undecided`` and one column per typed leaf added,
    and ``raw`` kept only on undecided lines unless the plan has variant leaves: sending
    every main ping's text back to the JVM would double what crosses between the two
    (measured: half the throughput)."""
    parser = simdjson.Parser()
    kinds = [leaf.kind for leaf in plan.leaves]
    types = [ARROW_TYPES[kind] for kind in kinds]
    for batch in batches:
        lines = pc.cast(batch.column("raw"), pa.binary()).to_pylist()
        columns: list[list] = [[None] * len(lines) for _ in kinds]
        undecided = [False] * len(lines)
        for row, line in enumerate(lines):
            values = read_line(parser, line, plan, kinds) if line is not None else None
            if values is None:
                undecided[row] = True
                continue
            for column, value in zip(columns, values, strict=True):
                column[row] = value
        flags = pa.array(undecided, pa.bool_())
        # Variant leaves are read by Spark from the text of every line (stack traces, in
        # crash pings only, a small share of the bytes).
        raw = batch.column("raw") if plan.variant_paths else pc.if_else(flags, batch.column("raw"), None)
        kept = [raw if name == "raw" else batch.column(name) for name in batch.schema.names]
        arrays = [flags, *(pa.array(c, t) for c, t in zip(columns, types, strict=True))]
        names = [UNDECIDED, *(f"_fast_{i}" for i in range(len(kinds)))]
        yield pa.RecordBatch.from_arrays([*kept, *arrays], names=[*batch.schema.names, *names])
