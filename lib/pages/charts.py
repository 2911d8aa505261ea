"""The charts, as Vega-Lite specifications built with Altair, rendered to SVG and PNG by vl-convert.

Each builder takes plain records (lists of dicts, small: a chart shows at most a few
hundred points) and returns an Altair chart; :func:`to_svg` and :func:`to_png`
render one without a browser. Dates travel as ``YYYY-MM-DD`` strings on ordinal
axes, so no time zone (of the machine rendering, or of the reader) can shift a day.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import vl_convert

from lib.pages.templates import printable

# Newest release first: the one the morning is about stands out, older ones recede.
RELEASE_COLOURS = ("#c62828", "#1f6fb4", "#8a8a8a")
OTHER_COLOUR = "#d9d9d9"
WIDTH, HEIGHT = 300, 170
FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_view(stroke=None).configure_axis(grid=True, gridColor="#eee")


def _release_colour(releases: Sequence[str]) -> alt.Color:
    """The release's colour, newest first, in the order given."""
    return alt.Color(
        "release:N",
        title="release",
        sort=list(releases),
        scale=alt.Scale(domain=list(releases), range=list(RELEASE_COLOURS[: len(releases)])),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


def by_release_age(
    points: Sequence[dict], releases: Sequence[str], y_title: str, percent: bool = False, unit: str = "days"
) -> alt.TopLevelMixin:
    """A value against release age, one line per release with its 95% interval as a band.

    ``points``: ``release``, ``age`` (``unit`` since release: days, or hours on release
    day), ``value``, ``low``, ``high``, and ``panel`` (one small chart per panel side by
    side, e.g. per measure, in the order the points first name them).
    """
    axis_format = ".0%" if percent else ",.1f"
    x = alt.X("age:Q", title=f"{unit} since release", axis=alt.Axis(tickMinStep=1, format="d"))
    colour = _release_colour(releases)
    # A thin day's interval can be ten times its rate: the axis follows the rates, bands are clipped.
    values = [p["value"] for p in points if p["value"] is not None] or [0.0]
    top = min(max(values) * 1.5, 1.0) if percent else max(values) * 1.5 or 1.0
    bottom = max(min(values) - (1.0 - min(values)), 0.0) if percent else 0.0
    y_scale = alt.Scale(domain=[bottom, top], clamp=True, nice=True)
    # Both layers name the scale: Vega-Lite would otherwise merge the band's own domain (from 0) into it.
    band = (
        alt.Chart()
        .mark_area(opacity=0.18, clip=True)
        .encode(x=x, y=alt.Y("low:Q", scale=y_scale), y2="high:Q", color=colour)
    )
    line = (
        alt.Chart()
        .mark_line(point=alt.OverlayMarkDef(size=28), strokeWidth=2, clip=True)
        .encode(x=x, y=alt.Y("value:Q", title=y_title, axis=alt.Axis(format=axis_format), scale=y_scale), color=colour)
    )
    layered = alt.layer(band, line, data=alt.Data(values=list(points))).properties(width=WIDTH, height=HEIGHT)
    panels = list(dict.fromkeys(p["panel"] for p in points))  # in the order given
    chart = layered.facet(column=alt.Column("panel:N", title=None, sort=panels)) if len(panels) > 1 else layered
    return _configured(chart)


def adoption(points: Sequence[dict], releases: Sequence[str]) -> alt.TopLevelMixin:
    """Share of usage hours on each release by day, stacked to 100%.

    ``points``: ``day`` (``YYYY-MM-DD``), ``release`` (one of ``releases`` or ``other``), ``hours``.
    """
    domain = [*releases, "other"]
    chart = (
        alt.Chart(alt.Data(values=list(points)))
        .mark_area()
        .encode(
            x=alt.X("day:O", title=None, axis=alt.Axis(labelAngle=-45, labelExpr="slice(datum.value, 5)")),
            y=alt.Y("hours:Q", stack="normalize", title="share of usage hours", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "release:N",
                title="release",
                sort=domain,
                scale=alt.Scale(domain=domain, range=[*RELEASE_COLOURS[: len(releases)], OTHER_COLOUR]),
                legend=alt.Legend(orient="bottom", direction="horizontal"),
            ),
            order=alt.Order("rank:Q"),
        )
        .transform_calculate(rank=f"indexof({domain!r}, datum.release)")
        .properties(width=WIDTH, height=HEIGHT)
    )
    return _configured(chart)


def history(points: Sequence[dict], low: float, high: float, title: str) -> alt.TopLevelMixin:
    """A data-quality history: the same weekday of past weeks (grey), the allowed band, today (red).

    ``points``: ``day`` (``YYYY-MM-DD``), ``value``, ``today`` (bool).
    """
    band = alt.Chart(alt.Data(values=[{"low": low, "high": high}])).mark_rect(color="#2e7d32", opacity=0.12)
    band = band.encode(y="low:Q", y2="high:Q")
    dots = (
        alt.Chart(alt.Data(values=list(points)))
        .mark_point(filled=True, size=60)
        .encode(
            x=alt.X("day:O", title=None, axis=alt.Axis(labelAngle=-45, labelExpr="slice(datum.value, 5)")),
            y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False)),
            color=alt.condition("datum.today", alt.value("#c62828"), alt.value("#777")),
            shape=alt.condition("datum.today", alt.value("diamond"), alt.value("circle")),
        )
    )
    return _configured(alt.layer(band, dots).properties(width=220, height=110))


def contributions(points: Sequence[dict]) -> alt.TopLevelMixin:
    """What drove a change: each crash reason's difference of rates (newest minus previous,
    per 1,000 hours) with its 95% interval, in the order given (largest share first), new
    reasons in the newest release's colour.

    ``points``: ``reason``, ``difference``, ``low``, ``high``, ``new`` (bool).
    """
    y = alt.Y("reason:N", sort=[p["reason"] for p in points], title=None, axis=alt.Axis(labelLimit=240))
    colour = alt.condition("datum.new", alt.value(RELEASE_COLOURS[0]), alt.value("#555"))
    x_title = "difference per 1,000 hours, newest minus previous"
    x = alt.X("low:Q", title=x_title)
    intervals = alt.Chart().mark_rule(strokeWidth=2).encode(y=y, x=x, x2="high:Q", color=colour)
    dots = alt.Chart().mark_point(filled=True, size=50, opacity=1).encode(y=y, x="difference:Q", color=colour)
    zero = alt.Chart(alt.Data(values=[{"x": 0.0}])).mark_rule(strokeDash=[4, 3], color="#777").encode(x="x:Q")
    layered = alt.layer(intervals, dots, data=alt.Data(values=list(points))) + zero
    return _configured(layered.properties(width=WIDTH, height=max(HEIGHT, 22 * len(points))))


_ID = re.compile(r'\bid="([^"]+)"')


def _printable(spec: Any) -> Any:
    """The specification with every string cleaned as the templates clean them."""
    if isinstance(spec, dict):
        return {key: _printable(value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_printable(value) for value in spec]
    return printable(spec) if isinstance(spec, str) else spec


def to_svg(chart: alt.TopLevelMixin, prefix: str) -> str:
    """The chart as an SVG element to inline in a page.

    Several SVGs in one page share its id namespace, and Vega names its clip paths
    the same in every chart, so each chart's ids get ``prefix``.
    """
    # vl-convert aborts the whole process on a control character in a label: none gets there.
    svg = vl_convert.vegalite_to_svg(json.dumps(_printable(chart.to_dict())))
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)  # an id, whatever names the chart
    for name in set(_ID.findall(svg)):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}-{name}"').replace(f"#{name})", f"#{prefix}-{name})")
        svg = svg.replace(f'href="#{name}"', f'href="#{prefix}-{name}"')
    return svg


def to_png(svg: str, scale: float = 2.0) -> bytes:
    """A rendered chart's SVG as a PNG (twice the pixels by default, sharp on high-density
    screens and in email); from the SVG, not the spec, since Vega's layout is the slow part."""
    return bytes(vl_convert.svg_to_png(svg, scale=scale))


def ratio_by_hour(points: Sequence[dict], materiality: float) -> alt.TopLevelMixin:
    """The newest release's crash rate over the previous one's, by hours since each first
    appeared, with the always-valid 95% band (it only narrows) and the materiality line.

    ``points``: ``hour``, ``ratio`` (may be null), ``low``, ``high`` (clipped by the caller).
    """
    x = alt.X("hour:Q", title="hours since release", axis=alt.Axis(tickMinStep=1, format="d"))
    y_scale = alt.Scale(type="log", domain=[0.25, 4], clamp=True)
    band = (
        alt.Chart()
        .mark_area(opacity=0.18, color=RELEASE_COLOURS[0])
        .encode(x=x, y=alt.Y("low:Q", scale=y_scale), y2="high:Q")
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=2, color=RELEASE_COLOURS[0])
        .encode(x=x, y=alt.Y("ratio:Q", title="newest / previous", scale=y_scale))
    )
    rules = alt.Chart(alt.Data(values=[{"y": 1.0}, {"y": materiality}])).mark_rule(strokeDash=[4, 3], color="#777")
    layered = alt.layer(band, line, data=alt.Data(values=list(points))) + rules.encode(y="y:Q")
    return _configured(layered.properties(width=WIDTH, height=HEIGHT))
