"""All ORM models, importable from one place (Alembic reads ``Base.metadata`` from here)."""

from jianwang.db.models.catalog import (
    AssetSignal,
    Licence,
    ProtectionBatch,
    ReferenceAsset,
    RightsHolder,
    Work,
)
from jianwang.db.models.detections import Detection
from jianwang.db.models.enforcement import AllowRule, Case, CaseEvent, Notice
from jianwang.db.models.enums import (
    AssetKind,
    AuthorityLevel,
    CaseState,
    DetectionStatus,
    JobState,
    NoticeKind,
    NoticeStatus,
    Role,
    SiteKind,
    SiteStatus,
    WorkKind,
)
from jianwang.db.models.monitoring import (
    Artefact,
    Capture,
    IpNetwork,
    PageVisit,
    Site,
    SiteCandidate,
    SiteDomain,
    SiteFact,
)
from jianwang.db.models.people import ApiToken, Authority, LoginFailure, User, WebSession
from jianwang.db.models.system import Job, LedgerEntry, LedgerHead

__all__ = [
    "AllowRule",
    "ApiToken",
    "Artefact",
    "AssetKind",
    "AssetSignal",
    "Authority",
    "AuthorityLevel",
    "Capture",
    "Case",
    "CaseEvent",
    "CaseState",
    "Detection",
    "DetectionStatus",
    "IpNetwork",
    "Job",
    "JobState",
    "LedgerEntry",
    "LedgerHead",
    "Licence",
    "LoginFailure",
    "Notice",
    "NoticeKind",
    "NoticeStatus",
    "PageVisit",
    "ProtectionBatch",
    "ReferenceAsset",
    "RightsHolder",
    "Role",
    "Site",
    "SiteCandidate",
    "SiteDomain",
    "SiteFact",
    "SiteKind",
    "SiteStatus",
    "User",
    "WebSession",
    "Work",
    "WorkKind",
]
