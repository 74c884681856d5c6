"""A self-contained HTML page built from sections: text, inline SVG figures and tables.

Everything is inlined (styles, figures), so a page opens with the network cut. Pages are written
atomically: to a temporary file beside the target, then renamed. The run's doubtful values
(`doubts`) open every page, above its first section.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from epicommons import __version__
from epicommons._files import write_text
from epicommons.doubts import Doubt, collected

from .format import count
from .maps import choropleth
from .tables import Spec, cells


@dataclass
class Section:
    """One titled block of a page; `parts` are rendered in order."""

    title: str
    parts: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class Page:
    """A report page. Add sections, then `write()` or `render()`.

    >>> page = Page("Demo")
    >>> page.section("Summary").text("One outbreak, three scenarios.")  # doctest: +ELLIPSIS
    <...>
    """

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    doubts: list[Doubt] = field(default_factory=list)  # besides those of the run (`collected`)

    def section(self, title: str) -> _SectionBuilder:
        sec = Section(title)
        self.sections.append(sec)
        return _SectionBuilder(sec)

    def render(self) -> str:
        env = Environment(
            loader=PackageLoader("epicommons.report", "templates"),
            autoescape=select_autoescape(["html"]),
        )
        return env.get_template("page.html").render(
            page=self,
            doubts=[*self.doubts, *(d for d in collected() if d not in self.doubts)],
            version=__version__,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )

    def write(self, path: str | Path, option: str = "--report") -> Path:
        """Write the page atomically (an OS failure is an `InputError` naming `option`)."""
        return write_text(self.render(), path, option=option)


class _SectionBuilder:
    """Fluent helper that appends parts to a section."""

    def __init__(self, section: Section) -> None:
        self._s = section

    def text(self, paragraph: str) -> _SectionBuilder:
        self._s.parts.append(("text", paragraph))
        return self

    def figure(self, svg: str, caption: str = "") -> _SectionBuilder:
        self._s.parts.append(("figure", (Markup(svg), caption)))
        return self

    def table(
        self,
        frame: pd.DataFrame,
        caption: str = "",
        columns: Spec | None = None,
        max_rows: int = 60,
    ) -> _SectionBuilder:
        """The first `max_rows` rows, labelled and formatted by `columns` (see `tables.cells`)."""
        shown = cells(frame.head(max_rows), columns)
        more = len(frame) - len(shown.rows)
        self._s.parts.append(("table", (shown, caption, count(more) if more else "")))
        return self

    def map(
        self, frame: pd.DataFrame, key: str, value: str, caption: str = "", **options: object
    ) -> _SectionBuilder:
        """A map of `frame[value]` per country code in `frame[key]`, zoomed to them when they
        are few; `options` go to `choropleth` (title, label, cmap, vmin, vmax, highlight, percent).
        """
        values = dict(zip(frame[key], frame[value].astype(float), strict=True))
        options.setdefault("zoom", True)
        return self.figure(choropleth(values, **options), caption)  # type: ignore[arg-type]
