"""What every dashboard page shares: templates, the signed-in reader, errors and headers.

Pages render on the server (Jinja2, autoescaped, strict about undefined names) and load
nothing from outside the installation: one stylesheet and htmx, both served from the package.
Every response carries a Content-Security-Policy that allows scripts from the app itself only,
so a title copied from a pirate page that slipped past escaping still could not run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from jianwang.config import Mode, Settings
from jianwang.errors import UserError
from jianwang.web.deps import OptionalPrincipalDep, Principal
from jianwang.web.errors import status_of
from jianwang.web.i18n import LANGUAGE_NAMES, LOCALES, label, pick_locale, translator

log = logging.getLogger(__name__)

LOCALE_COOKIE = "jw_locale"
HTMX = "/static/vendor/htmx-2.0.11.min.js"

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)
"""Scripts from the app only; inline styles for the SVG charts ReportLab draws."""

DOCUMENT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)
"""For documents the app renders for reading or download (a notice, a report): no script at
all, and a sandbox in case one got in."""

HTMX_CONFIG = (
    '{"includeIndicatorStyles": false, "allowEval": false, "allowScriptTags": false, '
    '"responseHandling": [{"code": "204", "swap": false}, {"code": "[23]..", "swap": true}, '
    '{"code": "[45]..", "swap": true, "error": true}]}'
)
"""htmx without eval or injected styles (the CSP forbids both), and swapping error answers too,
so a refused decision shows its reason where the buttons were."""


def security_headers(policy: str = PAGE_POLICY) -> dict[str, str]:
    """Headers every page answer carries."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
    }


def settings_of(request: Request) -> Settings:
    """The app's settings (see ``web.app.create_app``)."""
    found: Settings = request.app.state.services.settings
    return found


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure over HTTPS and always in production (behind a TLS proxy the app may
    see plain HTTP, and the browser must still never send the session in the clear)."""
    return request.url.scheme == "https" or settings_of(request).mode is Mode.PRODUCTION


def set_cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None
) -> None:
    """Set a cookie the dashboard's way: HttpOnly, SameSite=Lax, Secure where it must be."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


def same_origin(request: Request) -> bool:
    """Whether a request without a session (signing in, choosing a language) came from this
    site: its Origin, or else its Referer, names this host when the browser sent one."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return not claimed
    return urlsplit(claimed).netloc.lower() == (request.headers.get("host") or "").lower()


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default``: a sign-in link must not
    send the reader somewhere else afterwards."""
    if not target or any(ord(c) < 0x21 or c in "\\\x7f" for c in target):
        return default  # browsers drop tabs and newlines: "/\t/evil.example" is "//evil..."
    if not target.startswith("/") or target.startswith("//"):
        return default
    return target


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page_principal(request: Request, who: OptionalPrincipalDep) -> Principal:
    """The signed-in reader; anyone else is sent to the sign-in page (htmx follows
    ``HX-Redirect``, a browser the 303)."""
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = f"/login?next={quote(target, safe='')}"
        raise HTTPException(
            status.HTTP_303_SEE_OTHER,
            "sign in first",
            headers={"Location": login, "HX-Redirect": login},
        )
    return who


PageUser = Annotated[Principal, Depends(page_principal)]


def _dt(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def _money(value: Decimal | float | None) -> str:
    return "—" if value is None else f"{Decimal(str(value)):,.2f}"


def _timecode(seconds: float | None) -> str:
    """Seconds as m:ss.s (h:mm:ss.s past the hour), as a player shows them."""
    if seconds is None:
        return "—"
    whole = max(0.0, float(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{int(hours)}:{int(minutes):02d}:{secs:04.1f}"
    return f"{int(minutes)}:{secs:04.1f}"


def _web_url(url: str | None) -> str | None:
    """A captured URL fit for a link (http or https), else None (then shown as text only)."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None


@cache
def templates() -> Jinja2Templates:
    """The dashboard's templates (built once: the environment holds no request state)."""
    env = Environment(
        loader=PackageLoader("jianwang.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(dt=_dt, day=_day, money=_money, timecode=_timecode, web_url=_web_url)
    env.globals.update(htmx_src=HTMX, htmx_config=HTMX_CONFIG, languages=LANGUAGE_NAMES)
    return Jinja2Templates(env=env)


def locale_of(request: Request, who: Principal | None) -> str:
    """The reader's language: its own choice when signed in, else the language cookie."""
    return pick_locale(
        who.user.locale if who is not None else None, request.cookies.get(LOCALE_COOKIE)
    )


def render(
    request: Request,
    who: Principal | None,
    name: str,
    *,
    nav: str = "",
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """Render template ``name`` for the reader, in its language, with the shared frame."""
    locale = locale_of(request, who)
    base = {
        "locale": locale,
        "locales": LOCALES,
        "t": translator(locale),
        "lbl": lambda group, value: label(group, value, locale),
        "who": who,
        "csrf": who.csrf_token if who is not None else None,
        "nav": nav,
        "request_path": request.url.path,
    }
    return templates().TemplateResponse(
        request,
        name,
        {**base, **context},
        status_code=status_code,
        headers={**security_headers(), **(headers or {})},
    )


@dataclass(frozen=True)
class Failure:
    """A refusal to show: its HTTP status and the service's own words."""

    status: int
    message: str


def failure(exc: UserError) -> Failure:
    return Failure(status_of(exc), str(exc))


def error_page(request: Request, who: Principal | None, exc: UserError) -> Response:
    """A service's refusal as a page, with the status the API would answer."""
    found = failure(exc)
    log.info("page %s refused: %s", request.url.path, found.message)
    return render(request, who, "error.html", status_code=found.status, failure=found)


def see_other(url: str) -> Response:
    """After a form post: go and look (a reload then asks again instead of posting again)."""
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER, headers=security_headers())
