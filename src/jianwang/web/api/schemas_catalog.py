"""What the catalog, site, run and screening routes take and give, and the role gates in front.

Request and response schemas live apart from the ORM models and the services' views, so the
API's contract does not move when a table does; each response model builds itself from the view
it shows (``of``). Ids and references are bounded here, so a hostile value is a 422 naming the
field rather than an overflow deep in the database. A gate refuses (403) a role that may never
call a route before its body is read; the services then check the finer scope (region, rights
holder, site) of each record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from fastapi import Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from jianwang.catalog.actors import Action, Actor
from jianwang.catalog.registration import LicenceView
from jianwang.db.models import SiteKind, WorkKind
from jianwang.pipeline.screening import Screening, ScreenMatch
from jianwang.web.deps import ActorDep

MAX_ID = 2**53 - 1
"""Ids beyond this are refused at the edge (JavaScript's safe integers; far below SQL's)."""

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
REGION_PATTERN = r"^(\*|[A-Za-z]{2}(-[A-Za-z0-9]{1,6}){0,3})$"
Region = Annotated[str, Field(pattern=REGION_PATTERN, max_length=30)]


def _ref(value: object) -> int | str:
    """An id (1 to :data:`MAX_ID`) or a name of 1 to 300 characters; a name made only of digits
    is read as an id, so one no database could hold is refused here."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_ID:
            raise ValueError(f"an id is between 1 and {MAX_ID}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if not 1 <= len(text) <= 300:
            raise ValueError("a name has 1 to 300 characters")
        if text.isdigit() and len(text) > 15:
            raise ValueError("an id has at most 15 digits")
        return text
    raise ValueError("give an id or a name")


Ref = Annotated[
    int | str,
    PlainValidator(_ref),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                {"type": "string", "minLength": 1, "maxLength": 300},
            ]
        }
    ),
]
"""A record by id, or by its exact name or title."""


def gate(action: Action, what: str) -> Callable[[Actor], Actor]:
    """A dependency giving the caller's actor when its role may take ``action`` at all
    (``catalog.actors.RIGHTS``); 403 naming ``what`` before the request's body is read
    otherwise."""

    def check(actor: ActorDep) -> Actor:
        actor.require(action, what=what)
        return actor

    return check


Registrar = Annotated[Actor, Depends(gate(Action.REGISTER, "works"))]
Cataloguer = Annotated[Actor, Depends(gate(Action.CATALOG, "licences, batches or sites"))]
Monitor = Annotated[Actor, Depends(gate(Action.MONITOR, "sites"))]
Screener = Annotated[Actor, Depends(gate(Action.SCREEN, "uploads"))]
Publisher = Annotated[Actor, Depends(gate(Action.PUBLISH, "protection-list batches"))]


# --- Works ----------------------------------------------------------------------------------


class ViewOut(BaseModel):
    """A response read field by field from a service's view (a dataclass of the same fields),
    so a schema states its fields once and the copying is pydantic's."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, view: object) -> Self:
        return cls.model_validate(view)


class WorkIn(BaseModel):
    """A work to protect, registered by its names alone; references are uploaded after."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    kind: WorkKind
    rights_holder: str = Field(
        min_length=1,
        max_length=200,
        description="Name of the rights holder (created if new; a rights holder's user gives "
        "its own).",
    )
    aliases: list[Annotated[str, Field(max_length=300)]] = Field(default=[], max_length=50)
    contact: str | None = Field(default=None, max_length=200, description="Holder's contact.")
    address: str | None = Field(default=None, max_length=400, description="Holder's address.")
    proof: str | None = Field(default=None, max_length=5000, description="Proof of rights.")
    protected_until: date | None = None
    batch: str | None = Field(default=None, min_length=1, max_length=200)


class AliasesIn(BaseModel):
    """A work's aliases, replacing the ones it has (an empty list clears them)."""

    model_config = ConfigDict(extra="forbid")

    aliases: list[Annotated[str, Field(max_length=300)]] = Field(max_length=50)


class WorkSummary(ViewOut):
    """A work as the protection list shows it."""

    id: int
    title: str
    kind: str
    rights_holder: str
    aliases: list[str]
    assets: int
    batch: str | None
    licences: int
    protected_until: date | None


class AssetOut(ViewOut):
    """A reference asset: the medium a work's copies are recognised by."""

    id: int
    name: str
    kind: str
    sha256: str
    length: float | None = Field(description="Seconds for media, characters for text.")
    signals: list[str]


class WorkOut(ViewOut):
    """A work with its references."""

    id: int
    title: str
    kind: str
    rights_holder_id: int
    rights_holder: str
    aliases: list[str]
    proof_of_rights: str | None
    protected_until: date | None
    batch: str | None
    assets: list[AssetOut]
    licences: int


# --- Licences -------------------------------------------------------------------------------


class LicenceIn(BaseModel):
    """A site may carry a work in a territory between two days (both included)."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    work: Ref = Field(description="Work id or exact title.")
    site: Ref = Field(description="Licensed site: id, name or domain.")
    territory: Region = Field(default="*", description="Region code; * for everywhere.")
    starts_on: date | None = Field(
        default=None, alias="from", description="First day (default: today)."
    )
    ends_on: date | None = Field(
        default=None, alias="until", description="Last day (default: open-ended)."
    )
    note: str | None = Field(default=None, max_length=2000)


class LicenceOut(BaseModel):
    """A recorded licence."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: int
    work_id: int
    work: str
    site_id: int
    site: str
    territory: str
    starts_on: date = Field(alias="from")
    ends_on: date | None = Field(alias="until")
    note: str | None

    @classmethod
    def of(cls, view: LicenceView) -> LicenceOut:
        return cls(
            id=view.id,
            work_id=view.work_id,
            work=view.work,
            site_id=view.site_id,
            site=view.site,
            territory=view.territory,
            starts_on=view.starts_on,
            ends_on=view.ends_on,
            note=view.note,
        )


# --- Batches --------------------------------------------------------------------------------


class BatchIn(BaseModel):
    """A protection-list batch and the works on it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    works: list[Ref] = Field(default=[], max_length=1000, description="Work ids or titles.")
    note: str | None = Field(default=None, max_length=2000)


class BatchOut(ViewOut):
    """A protection-list batch."""

    id: int
    name: str
    note: str | None
    published_at: datetime | None
    work_ids: list[int]
    warnings: int = Field(description="Warning notices sent to platforms for it.")


class WarningOut(BaseModel):
    """A warning notice sent to one platform."""

    id: int
    platform: str
    licensed: list[str] = Field(description="Listed works the platform holds a licence for.")


class PublishOut(BaseModel):
    """A batch published: the warning notices sent."""

    batch: str
    notices: list[WarningOut]


# --- Sites ----------------------------------------------------------------------------------


def _http_url(value: str) -> str:
    """An http(s) URL with a host and a valid port (what the fetcher and the registry parse)."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("expected http(s)://host/...")
    if port == 0:
        raise ValueError("port 0 is not a port")
    return value


Url = Annotated[
    str,
    Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$"),
    AfterValidator(_http_url),
]
Domain = Annotated[str, Field(min_length=1, max_length=300, pattern=r"^[A-Za-z0-9.:\[\]-]+$")]
Schedule = Annotated[str, Field(min_length=2, max_length=20, description="30m, 6h, 1d...")]


class SiteIn(BaseModel):
    """A site to monitor."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: SiteKind
    seeds: list[Url] = Field(min_length=1, max_length=50, description="Start URLs.")
    domains: list[Domain] = Field(default=[], max_length=50)
    operator: str | None = Field(default=None, max_length=300)
    icp_number: str | None = Field(default=None, max_length=100)
    region: Region | None = Field(
        default=None, description="Region code; an officer's site defaults to its region."
    )
    max_pages: int = Field(default=200, ge=1, le=100_000)
    max_depth: int = Field(default=4, ge=0, le=50)
    respect_robots: bool = True
    schedule: Schedule | None = None
    rate_per_s: float | None = Field(default=None, gt=0, le=20, allow_inf_nan=False)
    browser: bool = False
    concurrency: int = Field(default=2, ge=1, le=16)
    cookies: dict[str, str] = Field(default={}, max_length=50, description="Sent only to it.")
    headers: dict[str, str] = Field(default={}, max_length=50, description="Sent only to it.")


class SitePatch(BaseModel):
    """Settings of a site to change; a field left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    schedule: Schedule | None = Field(default=None, description="null: no scheduled sweeps.")
    rate_per_s: float | None = Field(
        default=None, gt=0, le=20, allow_inf_nan=False, description="null: the default pace."
    )
    concurrency: int | None = Field(default=None, ge=1, le=16)
    status: Literal["active", "paused"] | None = Field(
        default=None, description="paused stops its sweeps; active resumes them."
    )


class SiteOut(ViewOut):
    """A site's registry entry (credentials by name only)."""

    id: int
    name: str
    kind: str
    status: str
    region: str | None
    operator: str | None
    icp_number: str | None
    domains: list[str]
    seeds: list[str]
    schedule: str | None
    rate_per_s: float | None
    concurrency: int
    max_pages: int
    max_depth: int
    browser: bool
    last_sweep_at: datetime | None
    next_sweep_at: datetime | None
    cookie_names: list[str]
    header_names: list[str]


# --- Runs -----------------------------------------------------------------------------------


class SweepCountsOut(ViewOut):
    """What a finished sweep did."""

    pages: int
    captures_new: int
    captures_seen: int
    media_unchanged: int
    pages_unchanged: int
    detections: int
    errors: int
    error_samples: list[str]
    interrupted: bool
    wall_s: float
    discovery: dict[str, int]


class RunOut(ViewOut):
    """A monitoring run: queued, leased (running), done or failed."""

    id: int
    kind: str
    site_id: int
    site: str | None
    state: str
    attempts: int
    requested_by: str | None
    created_at: datetime
    updated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    last_error: str | None
    result: SweepCountsOut | None = Field(description="The sweep's counts once it is done.")


# --- Screening ------------------------------------------------------------------------------


class ScreenUrlIn(BaseModel):
    """A URL to screen: media, or a page with the media it embeds."""

    model_config = ConfigDict(extra="forbid")

    url: Url


class ScreenMatchOut(BaseModel):
    """One protected work found in the screened input; spans in seconds for media and
    characters for text."""

    work_id: int
    work: str
    asset_id: int
    asset: str
    signal: str
    score: float = Field(description="Evidence count: aligned landmarks, frames or k-grams.")
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    pitch_shift: float | None
    coverage: float | None
    chapter: str | None
    source: str | None = Field(description="For a URL: the media or page the match is in.")
    evidence: str = Field(description="What the score counts and which stretches agree.")
    confident: bool = Field(
        description="At or above the signal's auto-confirm band: strong enough to block on."
    )
    licensed: bool | None = Field(
        description="For a platform: whether it holds a licence for the work today."
    )

    @classmethod
    def of(cls, found: ScreenMatch) -> ScreenMatchOut:
        m = found.match
        return cls(
            work_id=m.work_id,
            work=m.work,
            asset_id=m.asset_id,
            asset=m.asset,
            signal=m.signal,
            score=m.score,
            query_start=m.query_start,
            query_end=m.query_end,
            ref_start=m.ref_start,
            ref_end=m.ref_end,
            speed=m.speed,
            pitch_shift=m.pitch_shift,
            coverage=m.coverage,
            chapter=m.chapter,
            source=m.source,
            evidence=found.evidence,
            confident=found.confident,
            licensed=found.licensed,
        )


class ScreenOut(BaseModel):
    """What a screened upload copies, best match first."""

    matches: list[ScreenMatchOut]
    block: bool = Field(
        description="A confident match of a work the caller holds no licence for: block it."
    )
    elapsed_s: float

    @classmethod
    def of(cls, screening: Screening) -> ScreenOut:
        return cls(
            matches=[ScreenMatchOut.of(m) for m in screening.matches],
            block=any(m.confident and not m.licensed for m in screening.matches),
            elapsed_s=screening.elapsed_s,
        )
