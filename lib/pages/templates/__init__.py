"""The Jinja2 templates of everything people read: the pages, the report, the emails.

Autoescaping is on for every template, so a value is escaped unless a template marks
it safe (only the charts' SVG, which vl-convert renders from our own specifications).
"""

from __future__ import annotations

import jinja2

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("lib.pages", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
