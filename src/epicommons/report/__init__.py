"""Turn results into self-contained HTML pages: curves with bands, world maps, tables. Offline."""

from .figures import band_chart, bar_chart
from .maps import choropleth
from .page import Page

__all__ = ["Page", "band_chart", "bar_chart", "choropleth"]
