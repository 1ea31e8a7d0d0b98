"""Rendering the report pages: Jinja2 templates (``evaluator/results/templates``), images as data URIs.

One environment for every page.  HTML templates (``*.html.j2``) are autoescaped: every value
from a summary (a model name, a path, a verdict sentence) is text, never markup.  Markdown
templates (``*.md.j2``) are not HTML-escaped; their table cells go through the ``cell``
filter instead: no ``|`` or line break may break a table row, and a ``<`` that could open a
tag or a ``&`` that could start an entity becomes an entity, so a renderer shows them as text
(``δ<1.25`` stays as it is).

A page is self-contained: images are ``data:image/png;base64,...`` URIs (:func:`data_uri`), the
style sheet is inline, and nothing is fetched when it is opened; no script is needed.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).with_name("templates")


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI (for ``<img src=...>``)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def markdown_cell(value: Any) -> str:
    """``value`` as text safe inside a Markdown table cell (see the module docstring)."""
    text = "" if value is None else str(value)
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    return " ".join(text.replace("|", "\\|").split())


@lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of the report templates (autoescape on for HTML; strict undefined)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True,
                                            default=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cell"] = markdown_cell
    return env


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render template ``template`` (a file name in :data:`TEMPLATES_DIR`) with ``context``."""
    return environment().get_template(template).render(**context)
