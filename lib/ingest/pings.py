"""Raw ping lines to one typed row per line: the run's only JSON parse.

Two paths give the same rows: the *exact* parse below (Spark's ``from_json``) and the
*fast* one (:mod:`lib.ingest.fastparse`, Jackson's streaming parser in a Java UDF), which
hands the lines it cannot decide to the exact parse. Every job reads through the fast one.

The fields the job reads, their types and their flat column names (``"as"``) are
contracts in ``schemas/pings/`` (legacy pings: ``common.json`` plus one payload
file per doc type; Glean pings: one file each). Parsing is strict about those
fields only: a field of the wrong JSON type (``"subsessionLength": "3600"``,
``"buildId": 20151103030248``) is reported by name instead of being coerced,
because Spark's JSON reader would silently turn a number into a string. To get
exact types at a small cost, every leaf is parsed as a ``variant`` inside one
``from_json`` (measured: 1.7x plain ``from_json``, against 2.5x for parsing whole
documents into a variant), checked, then cast. A leaf declared ``variant`` (stack
traces) is kept as it is and read leniently later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import cast

from pyspark import SparkContext
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DataType, StringType, StructField, StructType, VariantType

from lib.ingest.fastparse import UNDECIDED, FastLeaf, Plan, narrow_function
from lib.ingest.landing import Partition, read_lines
from lib.transform.rules import blank_to_null

CORRUPT = "_corrupt_record"
# Spark's JSON parser (Jackson) reads objects nested at most this deep.
MAX_NESTING_DEPTH = 1000

# JSON types a leaf of each declared Spark type accepts (names from schema_of_variant).
ACCEPTED_KINDS = {
    "string": ("STRING",),
    "bigint": ("BIGINT", "INT", "SMALLINT", "TINYINT"),
    "boolean": ("BOOLEAN",),
}
LEGACY_DOC_TYPES = ("main", "crash")


def _display(path: tuple[str, ...]) -> str:
    """A field's path as the messages show it: ``metrics.string["crash.process_type"]``."""
    return "".join((f'["{part}"]' if "." in part else f".{part}" if i else part) for i, part in enumerate(path))


def _json_path(path: tuple[str, ...]) -> str:
    """A field's path for ``get_json_object``: names holding a dot go in brackets."""
    return "$" + "".join(f"['{part}']" if "." in part else f".{part}" for part in path)


def _field(column: Column, path: tuple[str, ...]) -> Column:
    for part in path:
        column = column.getField(part)
    return column


@dataclass(frozen=True)
class Leaf:
    path: tuple[str, ...]
    column: str
    data_type: DataType
    # Read only for a data-quality check (``clientId``, ``creationDate``): a wrong type
    # is reported to the checks, and never decides the ping's fate.
    check_only: bool = False

    @property
    def dotted(self) -> str:
        return _display(self.path)


def _load(name: str) -> StructType:
    text = resources.files("schemas").joinpath("pings", name).read_text()
    return StructType.fromJson(json.loads(text))


@cache
def ping_schema(doc_type: str) -> StructType:
    """The fields of a ping of ``doc_type`` the job reads, with their types."""
    if doc_type not in LEGACY_DOC_TYPES:
        return _load(f"{doc_type}.json")
    common = _load("common.json")
    payload = _load(f"{doc_type}_payload.json")
    return StructType([*common.fields, StructField("payload", payload)])


def leaves(schema: StructType, prefix: tuple[str, ...] = ()) -> list[Leaf]:
    found: list[Leaf] = []
    for field in schema.fields:
        path = (*prefix, field.name)
        if isinstance(field.dataType, StructType):
            found += leaves(field.dataType, path)
        else:
            found.append(Leaf(path, field.metadata["as"], field.dataType, field.metadata.get("check_only", False)))
    return found


def objects(schema: StructType, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the JSON objects the job descends into, outermost first."""
    found: list[tuple[str, ...]] = []
    for field in schema.fields:
        if isinstance(field.dataType, StructType):
            path = (*prefix, field.name)
            found += [path, *objects(field.dataType, path)]
    return found


def _with_variant_leaves(schema: StructType) -> StructType:
    return StructType(
        [
            StructField(
                f.name,
                _with_variant_leaves(f.dataType) if isinstance(f.dataType, StructType) else VariantType(),
            )
            for f in schema.fields
        ]
    )


def _typed(leaf: Leaf, value: Column, unreadable: Column) -> tuple[Column, Column]:
    """The leaf cast to its declared type, and an error text when its JSON type is wrong.

    ``unreadable`` holds where the line did not fit the parse schema; there, a leaf
    Spark left null although the text has a value at its path held a duplicate key
    (JSON it refuses), and that is a wrong type too, not a missing field.
    """
    if isinstance(leaf.data_type, VariantType):  # read leniently, whatever its shape
        return F.when(~F.is_variant_null(value), value).alias(leaf.column), F.lit(None).cast("string")
    kind = F.schema_of_variant(value)
    expected = leaf.data_type.simpleString()
    accepted = value.isNull() | F.is_variant_null(value) | kind.isin(*ACCEPTED_KINDS[expected])
    if expected == "bigint":
        accepted = accepted | _integral(value, kind)
    typed = F.when(accepted, F.try_variant_get(value, "$", expected))
    if isinstance(leaf.data_type, StringType):
        typed = blank_to_null(typed)  # an empty string counts as missing everywhere (SPEC section 3)
    duplicate_key = unreadable & value.isNull() & F.get_json_object("raw", _json_path(leaf.path)).isNotNull()
    error = F.when(duplicate_key, F.lit(f"{leaf.dotted} has a duplicate key, expected {expected}")).when(
        ~accepted,
        F.concat(
            F.lit(f"{leaf.dotted} is "), F.lower(F.substring_index(kind, "<", 1)), F.lit(f", expected {expected}")
        ),
    )
    return typed.alias(leaf.column), error


def _integral(value: Column, kind: Column) -> Column:
    """True for a JSON number written with a fraction or an exponent whose value is a
    whole number within 64 bits (``1e3``, ``36e2``, ``1.0``): JSON Schema's integer from
    draft 6 on, and what Python reads as one (docs/decisions.md). Spark's variant keeps
    ``1.0`` as ``DECIMAL(1,0)`` (trailing zeros dropped) and an exponent as a double."""
    as_long = F.try_variant_get(value, "$", "bigint")
    whole_decimal = kind.rlike("^DECIMAL\\([0-9]+,0\\)$")
    whole_double = (kind == "DOUBLE") & (as_long.cast("double") == F.try_variant_get(value, "$", "double"))
    return as_long.isNotNull() & (whole_decimal | whole_double)


def _nesting_depth(text: Column) -> Column:
    """How deep the brackets of ``text`` nest, outside strings: a plain scan of its characters."""
    state = F.struct(
        F.lit(0).alias("depth"), F.lit(0).alias("deepest"), F.lit(False).alias("quoted"), F.lit(False).alias("escaped")
    )

    def step(acc: Column, char: Column) -> Column:
        opening, closing = char.isin("{", "["), char.isin("}", "]")
        in_string = acc["quoted"]
        depth = F.when(~in_string & opening, acc["depth"] + 1).when(~in_string & closing, acc["depth"] - 1)
        depth = depth.otherwise(acc["depth"])
        return F.struct(
            depth.alias("depth"),
            F.greatest(acc["deepest"], depth).alias("deepest"),
            F.when(acc["escaped"], in_string).otherwise(in_string != (char == '"')).alias("quoted"),
            (in_string & ~acc["escaped"] & (char == "\\")).alias("escaped"),
        )

    return F.aggregate(F.split(text, ""), state, step)["deepest"]


def _json_error(not_an_object: Column) -> Column:
    """Why a line is no JSON object; the nesting depth is only scanned on such lines."""
    depth = _nesting_depth(F.col("raw"))
    return F.when(
        not_an_object,
        F.when(
            depth > MAX_NESTING_DEPTH,
            F.format_string(f"not a JSON object: nested %d levels deep (the parser reads {MAX_NESTING_DEPTH})", depth),
        ).otherwise(F.lit("not a JSON object")),
    )


def _parse_schema(schema: StructType) -> StructType:
    return StructType([*_with_variant_leaves(schema).fields, StructField(CORRUPT, StringType())])


def _from_json(schema: StructType) -> Column:
    return F.from_json("raw", schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})


PARSED = "_p"


# Built once per doc type and JVM: a doc type's columns take some 4,000 calls into the
# JVM to build (a second of every night's planning), and they never change.
_EXACT_COLUMNS: dict[tuple[str, int], dict[str, Column]] = {}


def _exact_columns(doc_type: str) -> dict[str, Column]:
    """Every output column of the exact parse, over ``raw`` and its ``from_json`` in ``_p``."""
    jvm = id(SparkContext._jvm)
    if (doc_type, jvm) not in _EXACT_COLUMNS:
        _EXACT_COLUMNS[(doc_type, jvm)] = _build_exact_columns(doc_type)
    return _EXACT_COLUMNS[(doc_type, jvm)]


def _build_exact_columns(doc_type: str) -> dict[str, Column]:
    schema = ping_schema(doc_type)
    parsed = F.col(PARSED)
    unparsed = parsed.isNull() | parsed[CORRUPT].isNotNull()
    # Only lines Spark could not fit to the schema pay for these second looks at the raw text.
    not_an_object = unparsed & F.json_object_keys("raw").isNull()
    object_errors = [
        F.when(
            unparsed & _field(parsed, path).isNull() & F.get_json_object("raw", _json_path(path)).isNotNull(),
            F.lit(f"{_display(path)} is not an object"),
        )
        for path in objects(schema)
    ]
    typed: dict[str, Column] = {}
    errors: dict[bool, list[Column]] = {False: [], True: []}
    for leaf in leaves(schema):
        column, error = _typed(leaf, _field(parsed, leaf.path), unparsed)
        typed[leaf.column] = column
        errors[leaf.check_only].append(error)
    return {
        "json_error": _json_error(not_an_object),
        "type_error": F.when(~not_an_object, F.coalesce(*object_errors, *errors[False])),
        "check_field_error": F.when(~not_an_object, F.coalesce(*errors[True])),
        **typed,
    }


def parse_pings(lines: DataFrame, doc_type: str) -> DataFrame:
    """The exact parse: Spark's own, of the ``raw`` column of ``lines`` (see
    :func:`lib.ingest.landing.read_lines`).

    Keeps every input column and adds, for every line, whatever it could read:
    one column per leaf of :func:`ping_schema` (named by its ``"as"``), plus
    ``json_error`` (the line is not a JSON object), ``type_error`` (which field the
    aggregation reads has which wrong type) and ``check_field_error`` (the same for
    a field only the checks read). All three are null for a well-formed ping.
    """
    exact = _exact_columns(doc_type)
    return lines.withColumn(PARSED, _from_json(_parse_schema(ping_schema(doc_type)))).select(
        *lines.columns, *[column.alias(name) for name, column in exact.items()]
    )


def fast_plan(doc_type: str) -> tuple[Plan, list[Leaf], list[Leaf]]:
    """The fast path's plan for ``doc_type``, its typed leaves and its variant leaves."""
    all_leaves = leaves(ping_schema(doc_type))
    typed = [leaf for leaf in all_leaves if not isinstance(leaf.data_type, VariantType)]
    variants = [leaf for leaf in all_leaves if isinstance(leaf.data_type, VariantType)]
    plan = Plan(
        tuple(FastLeaf(leaf.path, leaf.data_type.simpleString()) for leaf in typed),
        tuple(leaf.path for leaf in variants),
    )
    return plan, typed, variants


def _variant_only_schema(variants: list[Leaf]) -> StructType:
    """The parse schema of just the variant leaves: Jackson skips everything else."""
    schema = StructType([])
    for leaf in variants:
        node = schema
        for part in leaf.path[:-1]:
            if part not in node.fieldNames():
                node.add(part, StructType([]))
            node = cast(StructType, node[part].dataType)
        node.add(leaf.path[-1], VariantType())
    return StructType([*schema.fields, StructField(CORRUPT, StringType())])


def narrow_fields(lines: DataFrame, doc_type: str) -> DataFrame | None:
    """``lines`` with the JVM reader's verdict ``_undecided`` and its typed leaves
    ``_fast_0``, ``_fast_1``, ... (in :func:`fast_plan`'s order); None without its jar."""
    plan, typed, _ = fast_plan(doc_type)
    result = StructType(
        [
            StructField(UNDECIDED, BooleanType()),
            *(StructField(f"_fast_{i}", leaf.data_type) for i, leaf in enumerate(typed)),
        ]
    )
    narrow = narrow_function(lines.sparkSession, doc_type, plan, result)
    if narrow is None:
        return None
    read = F.call_function(narrow, F.col("raw").cast("binary"))
    return lines.withColumn("_n", read).select(*lines.columns, *[F.col(f"_n.{f.name}").alias(f.name) for f in result])


def fast_parse_pings(lines: DataFrame, doc_type: str) -> DataFrame:
    """The same rows as :func:`parse_pings`, most of them read by the JVM reader of
    :mod:`lib.ingest.fastparse`, except that ``raw`` is null on the lines it decided (see
    :func:`lib.transform.classify.with_quarantined_text` for the few a later rule quarantines).

    The reader decides the lines it can and marks the rest ``_undecided``; one projection
    then takes, line by line, the fast values or the exact parse, and Spark evaluates
    ``from_json`` on the undecided lines only. Variant leaves (stack traces) come from a
    ``from_json`` of those leaves alone, and a line Jackson refuses there (a repeated key
    inside) is undecided too. Without the reader's jar, this is :func:`parse_pings`.
    """
    staged = narrow_fields(lines, doc_type)
    if staged is None:
        return parse_pings(lines, doc_type)
    _, typed, variants = fast_plan(doc_type)
    undecided = F.col(UNDECIDED)
    fast: dict[str, Column] = {}
    for i, leaf in enumerate(typed):
        value = F.col(f"_fast_{i}")
        fast[leaf.column] = blank_to_null(value) if isinstance(leaf.data_type, StringType) else value
    if variants:
        staged = staged.withColumn("_v", F.when(~undecided, _from_json(_variant_only_schema(variants))))
        undecided = undecided | F.col(f"_v.{CORRUPT}").isNotNull()
        staged = staged.withColumn(UNDECIDED, undecided)
        undecided = F.col(UNDECIDED)
        for leaf in variants:
            value = _field(F.col("_v"), leaf.path)
            fast[leaf.column] = F.when(~F.is_variant_null(value), value)
    staged = staged.withColumn(PARSED, F.when(undecided, _from_json(_parse_schema(ping_schema(doc_type)))))
    exact = _exact_columns(doc_type)
    return staged.select(
        *[F.when(undecided, F.col(c)).alias(c) if c == "raw" else F.col(c) for c in lines.columns],
        *[F.when(undecided, column).otherwise(fast.get(name)).alias(name) for name, column in exact.items()],
    )


def files_not_json_lines(parsed: DataFrame) -> list[str]:
    """Files none of whose lines is a JSON object and some of whose lines are binary
    (invalid UTF-8 or NUL): input that is not JSON lines at all, e.g. a Parquet or zip
    file dropped in the partition. One malformed ping in a file is quarantined; a
    file like this fails the run, named."""
    binary = F.col("raw").contains("\ufffd") | F.col("raw").contains("\u0000")
    per_file = parsed.groupBy("source_file").agg(
        F.count_if(F.col("json_error").isNull()).alias("objects"), F.count_if(binary).alias("binary")
    )
    return sorted(r.source_file for r in per_file.where((F.col("objects") == 0) & (F.col("binary") > 0)).collect())


def read_pings(spark: SparkSession, *partitions: Partition) -> DataFrame:
    """The reading path, in one place: the lines of landing partitions of one doc type
    (one date, or every date of a range, read in one scan), parsed.

    Every job that reads raw pings calls this, for every doc type: the fast parse,
    exact by construction (see :func:`fast_parse_pings`). ``raw`` is kept only where
    the parse could not read the line.
    """
    doc_types = {p.doc_type for p in partitions}
    if len(doc_types) != 1:
        raise ValueError(f"read_pings reads one doc type at a time, not {sorted(doc_types)}")
    return fast_parse_pings(read_lines(spark, *partitions), doc_types.pop())
