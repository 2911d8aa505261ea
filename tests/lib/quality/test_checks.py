"""The checks' thresholds that follow the run's flags."""

from __future__ import annotations

import pytest

from lib.contract.vocabulary import Limits
from lib.quality.checks import raw_checks


@pytest.mark.parametrize(("cap_hours", "max_seconds"), [(24.0, 86400), (48.0, 172800), (0.5, 1800)])
def test_the_subsession_length_check_follows_the_usage_cap(cap_hours, max_seconds):
    check = next(c for c in raw_checks(Limits(usage_cap_hours=cap_hours)) if c.name == "subsession_length_plausible")
    assert check.expectation("critical").max_value == max_seconds
    assert check.threshold.endswith(f"within 0-{max_seconds} s")
