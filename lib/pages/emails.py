"""The emails' HTML bodies, from the same autoescaping templates as the pages.

Plain functions of plain values, so the Airflow DAG (which sends them) imports no
Spark, and a test can feed them hostile text without a mail server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lib.pages.templates import TEMPLATES


def facts_email(lead: str, facts: Mapping[str, object]) -> str:
    """A sentence, then a table of facts (name, value): the on-call alert, the release-day alert."""
    return TEMPLATES.get_template("email_facts.html.j2").render(lead=lead, facts=dict(facts))


def regressions_email(
    day: str, lines: Sequence[str], page: str, signatures: Sequence[Sequence[Mapping[str, object]]] = ()
) -> str:
    """The night's regression verdicts, one per line, each led by its signatures (``signatures``,
    per line: signature, text and the ``crash_stats`` and ``bugzilla`` links, as
    :func:`lib.analysis.signature_comparisons.signature_items` makes them), and where the page is."""
    led = [list(signatures[i]) if i < len(signatures) else [] for i in range(len(lines))]
    regressions = [{"line": line, "signatures": signed} for line, signed in zip(lines, led, strict=True)]
    return TEMPLATES.get_template("email_regressions.html.j2").render(day=day, regressions=regressions, page=page)
