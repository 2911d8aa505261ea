"""The raw checks: their counts follow the run's flags, and what they report never names a client."""

from __future__ import annotations

from datetime import date

import pytest
from pyspark.sql import functions as F

from lib.contract.vocabulary import Limits
from lib.quality.checks import (
    failing_examples,
    failing_share,
    id_shape,
    observed,
    raw_checks,
    raw_measures,
    shape_text,
)

DAY = date(2026, 11, 20)


@pytest.mark.parametrize(("cap_hours", "max_seconds"), [(24.0, 86400), (48.0, 172800), (0.5, 1800)])
def test_the_subsession_length_check_follows_the_usage_cap(spark, cap_hours, max_seconds):
    check = next(c for c in raw_checks(Limits(usage_cap_hours=cap_hours)) if c.name == "subsession_length_plausible")
    assert check.threshold.endswith(f"within 0-{max_seconds} s")
    measure = raw_measures(Limits(usage_cap_hours=cap_hours))["subsession_length_plausible"]
    lengths = spark.createDataFrame(
        [(0,), (max_seconds,), (max_seconds + 1,), (-1,), (None,)], "subsession_length long"
    )
    row = lengths.agg(F.count_if(measure.judged), F.count_if(measure.judged & measure.failing)).first()
    assert tuple(row) == (4, 2)  # the null is not judged; one over the cap and one negative fail


def test_a_share_is_of_the_lines_judged_and_nothing_judged_is_nothing_failing():
    assert failing_share("duplicate_share", 364, 4) == pytest.approx(4 / 364)
    assert failing_share("duplicate_share", 0, 0) == 0.0
    assert failing_share("unique_document_ids", 1000, 3) == 3.0
    assert observed("subsession_length_plausible", 364, 4, "main pings with a length") == (
        "1.10% of 364 main pings with a length fail (4)"
    )


@pytest.mark.parametrize(
    ("client_id", "shape"),
    [
        ("{0f8fad5b-d9cb-469f-a165-70867728950e}", "{8-4-4-4-12}"),
        ("SECRETCLIENT-x", "12-1"),
        ("a\u202eb\u0000c", "1?1?1"),
    ],
)
def test_a_client_id_is_reported_by_its_shape_never_its_value(spark, client_id, shape):
    masked = spark.createDataFrame([(client_id,)], "client_id string").select(id_shape(F.col("client_id"))).first()[0]
    assert shape_text(masked) == shape


def test_examples_of_malformed_client_ids_carry_no_client_id(spark):
    frame = spark.createDataFrame(
        [(DAY, "{SECRET-1234}"), (DAY, "SECRETCLIENT-x"), (DAY, "0f8fad5b-d9cb-469f-a165-70867728950e"), (DAY, None)],
        "submission_date date, client_id string",
    )
    examples = failing_examples(frame, DAY, "client_id_well_formed", Limits())
    assert examples == ["12-1", "{6-4}"]
    assert not any("SECRET" in e for e in examples)
