"""Monitored sites and what was captured from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jianwang.db.base import Base, TimestampMixin, UTCDateTime
from jianwang.db.models.enums import AssetKind, SiteKind, SiteStatus
from jianwang.db.types import StrEnumType


class Site(TimestampMixin, Base):
    """A website in the registry, with how to crawl it."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[SiteKind] = mapped_column(StrEnumType(SiteKind))
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    seeds: Mapped[list[str]] = mapped_column(JSON, default=list)
    operator: Mapped[str | None] = mapped_column(String(300))
    icp_number: Mapped[str | None] = mapped_column(String(100))
    host: Mapped[str | None] = mapped_column(String(300), doc="Hosting provider or network.")
    region: Mapped[str | None] = mapped_column(String(100))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    status: Mapped[SiteStatus] = mapped_column(StrEnumType(SiteStatus), default=SiteStatus.ACTIVE)
    schedule: Mapped[str | None] = mapped_column(String(100), doc="Sweep interval, e.g. '6h'.")
    max_pages: Mapped[int] = mapped_column(Integer, default=200)
    max_depth: Mapped[int] = mapped_column(Integer, default=4)
    rate_per_s: Mapped[float | None] = mapped_column(Float)
    capture_kinds: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: ["video", "audio", "text"]
    )
    respect_robots: Mapped[bool] = mapped_column(default=True)
    concurrency: Mapped[int] = mapped_column(
        Integer, default=2, doc="Requests in flight to each of the site's hosts at once."
    )
    credentials: Mapped[dict[str, Any] | None] = mapped_column(
        JSON,
        doc="Cookies and headers an authority holds for the site: "
        "{'cookies': {...}, 'headers': {...}}; sent only to the site's own domains.",
    )
    browser: Mapped[bool] = mapped_column(
        default=False, doc="Render pages in a headless browser (players built in JavaScript)."
    )
    last_sweep_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    captures: Mapped[list[Capture]] = relationship(back_populates="site")


class Capture(TimestampMixin, Base):
    """What a site served at one moment: the page, the media, and the hashes that pin them down."""

    __tablename__ = "captures"
    __table_args__ = (UniqueConstraint("site_id", "page_url", "content_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[AssetKind] = mapped_column(StrEnumType(AssetKind))
    page_url: Mapped[str] = mapped_column(String(2000))
    media_url: Mapped[str | None] = mapped_column(String(2000))
    final_url: Mapped[str | None] = mapped_column(String(2000))
    redirect_chain: Mapped[list[str]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    http_status: Mapped[int | None] = mapped_column(Integer)
    resolved_ip: Mapped[str | None] = mapped_column(String(64))
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    page_title: Mapped[str | None] = mapped_column(String(500))
    page_sha256: Mapped[str | None] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_path: Mapped[str] = mapped_column(String(1000))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    length: Mapped[float | None] = mapped_column(Float, doc="Seconds or characters.")
    view_count: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any] | None] = mapped_column(
        JSON,
        doc="For a link capture: the share link and its extraction code, the magnet's or "
        "torrent's info-hash, name, files and sizes.",
    )
    source_spans: Mapped[list[list[float]] | None] = mapped_column(
        JSON,
        doc="For a sampled capture (segments of a long stream, a live window): "
        "[capture_start_s, source_start_s, duration_s] per contiguous piece.",
    )
    matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)

    site: Mapped[Site] = relationship(back_populates="captures")
    artefacts: Mapped[list[Artefact]] = relationship(back_populates="capture")


class Artefact(TimestampMixin, Base):
    """A piece of evidence kept with a capture: the page's HTML, a screenshot, a keyframe or an
    excerpt at a matched timecode. Stored content-addressed; its sha256 goes into the ledger."""

    __tablename__ = "artefacts"
    __table_args__ = (UniqueConstraint("capture_id", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"), index=True)
    detection_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(
        String(40), doc="page, headers, screenshot, keyframe, excerpt, reference_keyframe, ..."
    )
    path: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    at_s: Mapped[float | None] = mapped_column(Float, doc="Timecode in the capture, seconds.")
    note: Mapped[str | None] = mapped_column(Text)

    capture: Mapped[Capture] = relationship(back_populates="artefacts")


class PageVisit(Base):
    """The last fetch of one page of a site: its validators and stored copy, so the next sweep
    asks for it conditionally and, told it is unchanged, reads its links from the copy."""

    __tablename__ = "page_visits"
    __table_args__ = (UniqueConstraint("site_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    final_url: Mapped[str] = mapped_column(String(2000))
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1000))
    content_type: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteDomain(Base):
    """A domain one operation served from, and when: a site that moves keeps its history."""

    __tablename__ = "site_domains"
    __table_args__ = (UniqueConstraint("site_id", "domain"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    domain: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(40), doc="registry, announcement, officer")
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    evidence_text: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteFact(Base):
    """Something a site's pages say about who runs it and how it earns: a filing number, a
    contact, a payment or membership page, an advertising network, an address it resolved to."""

    __tablename__ = "site_facts"
    __table_args__ = (UniqueConstraint("site_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(500))
    page_url: Mapped[str] = mapped_column(String(2000))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    times_seen: Mapped[int] = mapped_column(Integer, default=1)


class SiteCandidate(Base):
    """A domain outside the registry that monitored pirate sites lead to, with why it looks
    like a pirate site; an officer adds it to the registry or dismisses it."""

    __tablename__ = "site_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    linked_from: Mapped[list[int]] = mapped_column(JSON, default=list)
    sample_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    site_id: Mapped[int | None] = mapped_column(Integer, doc="The site it became, once added.")


class IpNetwork(Base):
    """An address range and the network that announces it (an IP-to-ASN table an authority
    imports), so a site's addresses can be named by their hosting network."""

    __tablename__ = "ip_networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, doc="4 or 6")
    start: Mapped[str] = mapped_column(String(32), index=True, doc="32 hex digits, zero-padded")
    end: Mapped[str] = mapped_column(String(32))
    asn: Mapped[int] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(300))
