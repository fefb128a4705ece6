"""Enumerations shared by the models, the services and the CLI.

Stored as their string values (not native database enums) so that adding a member needs no
type migration on PostgreSQL.
"""

from __future__ import annotations

from enum import StrEnum


class WorkKind(StrEnum):
    FILM = "film"
    TV_SERIES = "tv_series"
    VARIETY = "variety"
    MUSIC = "music"
    LITERATURE = "literature"
    LIVE_EVENT = "live_event"


class AssetKind(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"
    TEXT = "text"
    PAGE = "page"  # captures only: a page kept for what it names or links (title matches)
    LINK = "link"  # captures only: a cloud-drive share, a magnet link or a .torrent file


class AuthorityLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    RIGHTS_HOLDER = "rights_holder"
    PLATFORM = "platform"
    VIEWER = "viewer"


class SiteKind(StrEnum):
    VIDEO = "video"
    MUSIC = "music"
    LITERATURE = "literature"
    LINK = "link"
    CYBERLOCKER = "cyberlocker"
    LIVE = "live"
    PLATFORM = "platform"


class SiteStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    SHUT_DOWN = "shut_down"


class DetectionStatus(StrEnum):
    DETECTED = "detected"
    IN_REVIEW = "in_review"
    FALSE_POSITIVE = "false_positive"
    LICENSED = "licensed"
    CONFIRMED = "confirmed"


class NoticeKind(StrEnum):
    TAKEDOWN = "takedown"
    WARNING = "warning"


class NoticeStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    REMOVED_VERIFIED = "removed_verified"
    COUNTER_NOTICED = "counter_noticed"
    NON_COMPLIANT = "non_compliant"


class CaseState(StrEnum):
    LEAD = "lead"
    SCREENING = "screening"
    FILED = "filed"
    INVESTIGATING = "investigating"
    ADVANCE_NOTICE = "advance_notice"
    STATEMENT_WINDOW = "statement_window"
    HEARING = "hearing"
    DECIDED = "decided"
    ENFORCING = "enforcing"
    CLOSED = "closed"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    CLOSED_NO_PENALTY = "closed_no_penalty"
    REFERRED = "referred"


class JobState(StrEnum):
    QUEUED = "queued"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"
