"""The README documents what the code produces."""

from __future__ import annotations

import pytest

from lib.warehouse.tables import TABLES, table_spec
from tests.conftest import REPO


@pytest.mark.parametrize("name", TABLES)
def test_every_column_of_every_table_is_in_the_readme(name):
    readme = (REPO / "README.md").read_text()
    missing = [c.name for c in table_spec(name).columns if c.name not in readme]
    assert missing == []


def test_every_configured_check_is_in_the_readme():
    from lib.quality.runner import dq_config

    readme = (REPO / "README.md").read_text()
    checks = [name for suite in dq_config().values() for name in suite]
    assert [c for c in checks if c not in readme] == []
