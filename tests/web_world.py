"""A small world for the web tests: the app on a temporary data dir, a ``TestClient``, and one
signed-in user of each role with an API token.

Built through the services (as an installation would be), not by writing rows:

- authorities ``Guangdong`` (provincial, ``CN-44``) and ``Beijing`` (provincial, ``CN-11``);
- rights holders ``Studio A`` (contact and address set) and ``Label B``;
- works registered by name alone (no references): ``Film A`` (film, Studio A, alias ``电影A``)
  and ``Song B`` (music, Label B);
- sites: ``gdsite`` (video, ``CN-44-01``, in Guangdong's region), ``bjsite`` (video, ``CN-11``,
  outside it), ``plat1`` (platform, ``CN-44``) and ``plat2`` (platform, ``CN-11``). Their seeds
  point at a closed port on 127.0.0.1, so a sweep started by accident fails at once;
- users, each with a token in :attr:`WebWorld.tokens`: ``admin``, ``officer`` (Guangdong),
  ``bjofficer`` (Beijing), ``studio`` (rights holder Studio A), ``label`` (rights holder
  Label B), ``platform`` (site plat1) and ``viewer``.

Use it as a context manager so the engine is closed::

    with web_world(tmp_path) as world:
        response = world.get("officer", "/api/v1/sites")

``settings`` overrides (e.g. ``max_media_bytes=1000``) go to :func:`web_world`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jianwang.catalog import service
from jianwang.catalog.accounts import issue_token
from jianwang.catalog.people import add_authority, add_user
from jianwang.config import Settings
from jianwang.db import transaction
from jianwang.monitoring.sites import add_site
from jianwang.web.app import create_app
from jianwang.web.services import WebServices

API = "/api/v1"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, a fetch fails at once

USERS: dict[str, dict[str, str]] = {
    "admin": {"role": "admin"},
    "officer": {"role": "officer", "authority": "Guangdong"},
    "bjofficer": {"role": "officer", "authority": "Beijing"},
    "studio": {"role": "rights_holder", "rights_holder": "Studio A"},
    "label": {"role": "rights_holder", "rights_holder": "Label B"},
    "platform": {"role": "platform", "site": "plat1"},
    "viewer": {"role": "viewer"},
}
"""User name → role and scope of every user the world has."""


@dataclass
class WebWorld:
    """The app, a client for it, and who is who."""

    app: FastAPI
    client: TestClient
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)  # user name -> API token
    ids: dict[str, int] = field(default_factory=dict)  # site name or work title -> id

    @property
    def services(self) -> WebServices:
        """The app's services (its session factory, settings and registry)."""
        found: WebServices = self.app.state.services
        return found

    def headers(self, user: str) -> dict[str, str]:
        """The Authorization header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def call(self, user: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """``method path`` as ``user`` (``None``: without a token); ``path`` is relative to
        ``/api/v1`` unless it starts with ``/api/``."""
        url = path if path.startswith("/api/") else API + path
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers.update(self.headers(user))
        return self.client.request(method, url, headers=headers, **kwargs)

    def get(self, user: str | None, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(user, "GET", path, **kwargs)

    def post(self, user: str | None, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(user, "POST", path, **kwargs)

    def put(self, user: str | None, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(user, "PUT", path, **kwargs)

    def patch(self, user: str | None, path: str, **kwargs: Any) -> httpx.Response:
        return self.call(user, "PATCH", path, **kwargs)

    def close(self) -> None:
        self.client.close()
        self.services.engine.dispose()


def _populate(world: WebWorld) -> None:
    svc = world.services
    with transaction(svc.sessions) as s:
        add_authority(s, name="Guangdong", level="provincial", region="CN-44")
        add_authority(s, name="Beijing", level="provincial", region="CN-11")
        indexes = svc.indexes(s)
        for title, kind, holder, extra in (
            (
                "Film A",
                "film",
                "Studio A",
                {
                    "aliases": ["电影A"],
                    "holder_contact": "legal@studio-a.example",
                    "holder_address": "1 Road, Guangzhou",
                    "proof_of_rights": "registration 2025-A-1",
                },
            ),
            ("Song B", "music", "Label B", {}),
        ):
            work = service.add_work(
                s,
                title=title,
                kind=kind,
                rights_holder=holder,
                references=[],
                indexes=indexes,
                store=svc.store,
                registry=svc.registry,
                limits=svc.limits,
                **extra,
            )
            world.ids[title] = work.id
        for name, kind, region in (
            ("gdsite", "video", "CN-44-01"),
            ("bjsite", "video", "CN-11"),
            ("plat1", "platform", "CN-44"),
            ("plat2", "platform", "CN-11"),
        ):
            site = add_site(s, name=name, kind=kind, seeds=[f"{CLOSED}/{name}/"], region=region)
            world.ids[name] = site.id
        for username, scope in USERS.items():
            user = add_user(s, username=username, **scope)
            world.tokens[username] = issue_token(s, user=user, name="tests")


@contextmanager
def web_world(tmp_path: Path, **settings: Any) -> Iterator[WebWorld]:
    """The world in ``tmp_path / "data"`` (see the module); ``settings`` override the test
    settings (private hosts allowed, no crawl delay)."""
    chosen = Settings(
        **{
            "data_dir": tmp_path / "data",
            "allow_private_hosts": True,
            "crawl_delay_s": 0.0,
            **settings,
        }
    )
    app = create_app(chosen)
    world = WebWorld(app=app, client=TestClient(app), settings=chosen)
    try:
        _populate(world)
        yield world
    finally:
        world.close()
