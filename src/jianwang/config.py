"""Typed settings, read from ``JIANWANG_*`` environment variables or given by the caller.

Every setting has a default and a help text. Defaults that are only safe on a developer's machine
(reaching loopback and private addresses) are refused outside dev mode.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "jianwang"


class Mode(StrEnum):
    """How cautious the installation is."""

    DEV = "dev"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """All of Jianwang's settings in one place; pass an instance down, never read globals."""

    model_config = SettingsConfigDict(env_prefix="JIANWANG_", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Where the database, fingerprint indexes and captured content live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite at DATA_DIR/jianwang.db. "
        "Use postgresql+psycopg://... to scale out.",
    )
    mode: Mode = Field(default=Mode.DEV, description="dev or production.")
    allow_private_hosts: bool = Field(
        default=False,
        description="Let the crawler reach loopback and private addresses (the sandbox and "
        "tests need this). Refused in production mode.",
    )
    user_agent: str = Field(
        default="Jianwang/0.1 (+copyright monitoring; contact the operating authority)",
        description="User-Agent header sent by the crawler.",
    )
    fetch_timeout_s: float = Field(default=20.0, gt=0, description="Per-request timeout.")
    max_page_bytes: int = Field(default=5_000_000, gt=0, description="Largest page fetched.")
    max_media_bytes: int = Field(
        default=500_000_000, gt=0, description="Largest media file or stream captured."
    )
    max_pages_per_site: int = Field(default=500, gt=0, description="Pages per site per sweep.")
    crawl_delay_s: float = Field(
        default=0.0, ge=0, description="Pause between requests to one host."
    )
    decode_timeout_s: float = Field(
        default=600.0, gt=0, description="Wall-clock limit on decoding one media input."
    )
    max_media_seconds: float = Field(
        default=4 * 3600.0, gt=0, description="Longest stretch of media decoded from one input."
    )
    stream_sample_over_s: float = Field(
        default=900.0,
        gt=0,
        description="HLS streams longer than this are sampled (a few stretches spread over the "
        "stream), not fetched whole.",
    )
    stream_sample_windows: int = Field(
        default=5, ge=1, le=50, description="Stretches taken from a sampled stream."
    )
    stream_sample_window_s: float = Field(
        default=60.0, gt=0, description="Length of each stretch taken from a sampled stream."
    )
    browser_executable: str | None = Field(
        default=None,
        description="Chromium for browser mode; default: Debian's /usr/lib/chromium/chromium, "
        "else `chromium` or `chromium-browser` on PATH. No browser is ever downloaded.",
    )
    browser_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Wall-clock limit on rendering one page in browser mode, requests included.",
    )
    browser_wait_s: float = Field(
        default=2.0,
        ge=0,
        description="Time a rendered page's scripts get after it loads to start their players.",
    )

    # Enforcement: review bands, notice deadlines, case guards and referral thresholds.
    review_auto_confirm: dict[str, float] = Field(
        default_factory=lambda: {
            "audio.triplets": 30.0,
            "video.dcthash": 24.0,
            "text.winnow": 24.0,
        },
        description="Per signal, the score at or above which a detection is confirmed without "
        "review (JSON, e.g. '{\"audio.triplets\": 30}'); a signal not named (such as title "
        "matches) always waits for a reviewer. Scores are evidence counts: aligned landmarks, "
        "frames or shared k-grams, so three times each matcher's own threshold by default.",
    )
    review_floor: dict[str, float] = Field(
        default_factory=dict,
        description="Per signal, the score below which a detection is set aside as a false "
        "positive without review (JSON); default none, so every match is at least reviewed.",
    )
    notice_deadline_hours: float = Field(
        default=72.0, gt=0, description="Hours a takedown notice gives the recipient."
    )
    literature_notice_deadline_hours: float = Field(
        default=24.0, gt=0, description="Hours a takedown notice about literature gives."
    )
    statement_window_days: int = Field(
        default=7,
        ge=0,
        description="Days after the advance notice is served during which the party may make "
        "statements and defences; no decision before it ends.",
    )
    hearing_fine_threshold: float = Field(
        default=100_000.0, ge=0, description="A fine above this (yuan) needs a hearing first."
    )
    fine_cap: float = Field(
        default=250_000.0,
        gt=0,
        description="Largest fine (yuan) when the illegal business volume is unknown or below "
        "fine_volume_floor.",
    )
    fine_volume_floor: float = Field(
        default=50_000.0,
        ge=0,
        description="From this illegal business volume (yuan) on, the cap is "
        "fine_volume_multiple times the volume.",
    )
    fine_volume_multiple: float = Field(
        default=5.0, gt=0, description="Cap on a fine as a multiple of the business volume."
    )
    case_decision_days: int = Field(
        default=90, gt=0, description="Days from filing a case to its decision (its deadline)."
    )
    referral_works: int = Field(default=500, gt=0, description="Referral threshold: works.")
    referral_clicks: int = Field(default=50_000, gt=0, description="Referral threshold: clicks.")
    referral_members: int = Field(
        default=1_000, gt=0, description="Referral threshold: paid members."
    )
    referral_gains: float = Field(
        default=30_000.0, gt=0, description="Referral threshold: illegal gains (yuan)."
    )
    referral_volume: float = Field(
        default=50_000.0, gt=0, description="Referral threshold: illegal business volume (yuan)."
    )

    web_session_hours: float = Field(
        default=8.0, gt=0, le=24 * 30, description="How long a dashboard sign-in lasts."
    )

    # Durable jobs and the Dask cluster (pipeline.jobs, pipeline.executors).
    scheduler_address: str | None = Field(
        default=None,
        description="Address of a Dask scheduler (e.g. tcp://10.0.0.5:8786) that `jianwang "
        "scheduler` hands jobs to and `jianwang worker` joins; unset: jobs run in-process.",
    )
    job_lease_s: float = Field(
        default=300.0,
        gt=0,
        description="Seconds a worker holds a job without renewing it; a worker renews every "
        "third of this while it runs, so a job whose worker died is taken again after it.",
    )
    job_max_attempts: int = Field(
        default=5, ge=1, description="Attempts at a job before it is marked dead."
    )
    job_backoff_s: float = Field(
        default=30.0,
        ge=0,
        description="Wait before the second attempt at a failed job; doubled for each further.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.mode is Mode.PRODUCTION and self.allow_private_hosts:
            raise ValueError("allow_private_hosts must stay off in production mode")
        return self

    @property
    def db_url(self) -> str:
        """The database URL in force."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'jianwang.db'}"

    @property
    def index_dir(self) -> Path:
        """Folder of the fingerprint indexes."""
        return self.data_dir / "index"

    @property
    def key_dir(self) -> Path:
        """Folder of the installation's signing key (the ledger's Ed25519 key, mode 0600)."""
        return self.data_dir / "keys"

    @property
    def content_dir(self) -> Path:
        """Folder of captured and reference content, stored by sha256."""
        return self.data_dir / "content"
