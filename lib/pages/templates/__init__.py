"""The Jinja2 templates of everything people read: the pages, the report, the emails.

Autoescaping is on for every template, so a value is escaped unless a template marks
it safe (only the charts' SVG, which vl-convert renders from our own specifications).
Every value is also cleaned before it is escaped: control characters are dropped and
bidirectional overrides shown as U+FFFD, so no input can hide or reorder what a
release manager reads.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from markupsafe import Markup

# C0 controls but tab and newline, DEL, C1 controls; then the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def printable(value: Any) -> Any:
    """``value`` as text a page may show: see the module docstring. Markup passes unchanged."""
    if isinstance(value, Markup) or value is None or isinstance(value, (int, float)):
        return value
    return _BIDI.sub("\ufffd", _CONTROL.sub("", str(value)))


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("lib.pages", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    finalize=printable,
    keep_trailing_newline=True,
)
