"""The docs say what the code produces: README.md is the front door, docs/ holds the rest.

The column lists of docs/tables.md are generated from schemas/tables/*.json by
:func:`render_tables`; rewrite them with ``.venv/bin/python -m tests.test_docs``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lib.warehouse.tables import TABLES, table_spec

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
README = REPO / "README.md"
TABLES_PAGE = DOCS / "tables.md"
BEGIN = "<!-- generated from schemas/tables: begin -->"
END = "<!-- generated from schemas/tables: end -->"
MAX_README_LINES = 250
REGENERATE = "run `.venv/bin/python -m tests.test_docs` from the repository root to rewrite it"


def _cell(text: str) -> str:
    """Plain text as one markdown table cell: no pipe, no tag, no emphasis."""
    for char, escaped in (("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("*", "\\*")):
        text = text.replace(char, escaped)
    return text


def render_table(name: str) -> str:
    """One table's contract as markdown: heading, description, columns, constraints."""
    spec = table_spec(name)
    partitioned = ", ".join(f"`{c}`" for c in spec.partitioned_by)
    lines = [
        f"### `{spec.name}`",
        "",
        _cell(spec.description),
        "",
        f"Schema version {spec.version}; " + (f"partitioned by {partitioned}." if partitioned else "not partitioned."),
        "",
        "| column | type | null | meaning |",
        "| --- | --- | --- | --- |",
        *[
            f"| `{c.name}` | {c.type} | {'yes' if c.nullable else 'no'} | {_cell(c.description)} |"
            for c in spec.columns
        ],
    ]
    if spec.constraints:
        lines += ["", "CHECK constraints:", ""]
        lines += [f"- `{name}`: `{expression}`" for name, expression in spec.constraints.items()]
    return "\n".join(lines)


def render_tables() -> str:
    """Every table of ``TABLES``, in that order: what docs/tables.md holds between its markers."""
    return "\n\n".join(render_table(name) for name in TABLES)


def _split(page: str) -> tuple[str, str, str]:
    """The page before the generated block, the block, and the page after it."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"{TABLES_PAGE.relative_to(REPO)} lacks the markers {BEGIN!r} and {END!r}")
    return page[: start + len(BEGIN)], page[start + len(BEGIN) : end], page[end:]


def rewrite_tables_page() -> None:
    before, _, after = _split(TABLES_PAGE.read_text())
    TABLES_PAGE.write_text(f"{before}\n\n{render_tables()}\n\n{after}")


def _docs() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(DOCS.glob("*.md"))}


def _mentions(text: str, word: str) -> bool:
    """``word`` as a whole name: ``hours_sq`` is not found inside ``active_hours_sq``."""
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None


def _without_code_blocks(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _links(text: str) -> list[str]:
    """Markdown links and images outside code: ``[x](y)`` in backticks is not a link."""
    return LINK.findall(re.sub(r"`[^`\n]*`", "", _without_code_blocks(text)))


def _anchors(text: str) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", _without_code_blocks(text), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def test_the_generated_column_lists_are_current():
    _, block, _ = _split(TABLES_PAGE.read_text())
    assert block.strip() == render_tables(), f"docs/tables.md differs from schemas/tables/: {REGENERATE}"


@pytest.mark.parametrize("name", TABLES)
def test_every_column_of_every_table_is_in_the_docs(name):
    docs = "\n".join(_docs().values())
    missing = [c.name for c in table_spec(name).columns if not _mentions(docs, c.name)]
    assert missing == []


@pytest.mark.parametrize("name", TABLES)
def test_every_table_has_its_prose_in_the_analysts_page(name):
    analysts = (DOCS / "analysts.md").read_text()
    assert f"### `{name}`" in analysts


def test_every_configured_check_is_in_the_docs():
    from lib.quality.runner import dq_config

    docs = "\n".join(_docs().values())
    checks = [name for suite in dq_config().values() for name in suite]
    assert [c for c in checks if not _mentions(docs, c)] == []


def test_the_readme_is_short():
    lines = len(README.read_text().splitlines())
    assert lines < MAX_README_LINES, f"README.md has {lines} lines: longer reading goes in docs/"


def test_the_readme_links_every_docs_page():
    linked = {link.split("#")[0] for link in _links(README.read_text())}
    assert [name for name in _docs() if f"docs/{name}" not in linked] == []


@pytest.mark.parametrize("page", ["README.md", *[f"docs/{name}" for name in _docs()]])
def test_every_relative_link_points_at_something_that_exists(page):
    path = REPO / page
    broken = []
    for link in _links(path.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        resolved = (path.parent / target).resolve() if target else path
        if not resolved.is_relative_to(REPO):  # ../shared/SPEC.md: beside a checkout, not in it
            continue
        if not resolved.exists() or (
            anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved.read_text())
        ):
            broken.append(link)
    assert broken == []


if __name__ == "__main__":
    rewrite_tables_page()
    print(f"rewrote the generated block of {TABLES_PAGE.relative_to(REPO)}")
