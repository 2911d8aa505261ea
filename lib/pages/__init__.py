"""What people read: the release-health page, its charts, and the charts of the data-quality report.

Charts are Vega-Lite specifications built with Altair and rendered to SVG and PNG by
vl-convert (Vega compiled into a native library): no browser, no server, no network,
and the same picture in the page, in its PNGs and on paper.
"""
