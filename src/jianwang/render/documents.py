"""HTML documents from the package's Jinja2 templates.

Autoescaping is on (names, titles and URLs come from pirate pages) and an undefined variable is
an error, not an empty string, so a template that lost a field fails loudly in tests.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def environment() -> Environment:
    """The one template environment (built once per process; it holds no request state)."""
    return Environment(
        loader=PackageLoader("jianwang.render", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(template: str, **context: Any) -> str:
    """Render ``templates/<template>`` with ``context``."""
    return environment().get_template(template).render(**context)
