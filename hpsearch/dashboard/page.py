"""The page, one HTML shell (`assets/page.html`) for the dashboard and for reports: its style,
the data it starts from (`boot`, JSON), and its scripts (`assets/js`, in order) with Plotly's
basic bundle (`assets/vendor/plotly-basic.min.js`: scatter plots, lines, shapes and log axes,
which is all the page draws with, at a quarter of the full bundle's size, so a browser compiles
it four times faster). The dashboard links the scripts; a report carries all of them inline, so
it opens offline.
"""

from __future__ import annotations

import functools
import gzip
import html
import re
from importlib import resources

from .data import dumps

SCRIPTS = ("util", "source", "axes", "plots", "parallel", "curves", "pbt", "tables", "steer")
SCRIPTS += ("app",)
ASSETS = resources.files(__package__) / "assets"
PLOTLY = "plotly-basic.min.js"  # plotly.js 3.7.0, MIT (vendor/PLOTLY-LICENSE), from npm


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def app_js() -> str:
    return "\n".join(asset(f"js/{name}.js") for name in SCRIPTS)


@functools.cache
def plotly_js() -> tuple[str, str]:
    """(version, the minified plotly.js basic bundle shipped with hpsearch)."""
    code = asset(f"vendor/{PLOTLY}")
    return re.search(r"v(\d+\.\d+\.\d+)", code[:200]).group(1), code


@functools.cache
def served() -> dict:
    """The scripts the dashboard serves, gzipped once: name -> (bytes, content type)."""
    return {
        "plotly.min.js": (gzip.compress(plotly_js()[1].encode(), 6), "text/javascript"),
        "app.js": (gzip.compress(app_js().encode(), 6), "text/javascript"),
    }


def _inline(code: str) -> str:
    """Code that cannot end the <script> element it sits in."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)


def render(boot: dict, title: str, scripts: str) -> str:
    parts = {
        "title": html.escape(title),
        "style": asset("style.css"),
        "boot": dumps(boot).replace("</", "<\\/").replace("<!--", "<\\u0021--"),
        "scripts": scripts,
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], asset("page.html"))


def live_page(token: str | None, folder: str, plotly_version: str, poll_ms: int = 1000) -> str:
    """The dashboard's page; it carries the token only when the address it was asked by did."""
    boot = {"mode": "live", "token": token, "folder": folder, "poll_ms": poll_ms}
    scripts = (
        '<script src="assets/app.js"></script>\n'
        f'<script src="assets/plotly.min.js?v={html.escape(plotly_version)}"></script>'
    )
    return render(boot, "hpsearch dashboard", scripts)


def report_page(boot: dict, title: str) -> str:
    _, plotly = plotly_js()
    scripts = f"<script>{_inline(app_js())}</script>\n<script>{_inline(plotly)}</script>"
    return render({**boot, "mode": "report", "title": title}, title, scripts)
