"""Authorities and users: who acts, and within which region or rights holder."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jianwang.db.base import Base, TimestampMixin
from jianwang.db.models.enums import AuthorityLevel, Role
from jianwang.db.types import StrEnumType


class Authority(TimestampMixin, Base):
    __tablename__ = "authorities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    level: Mapped[AuthorityLevel] = mapped_column(StrEnumType(AuthorityLevel))
    region: Mapped[str] = mapped_column(String(100))


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"))
    rights_holder_id: Mapped[int | None] = mapped_column(ForeignKey("rights_holders.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(10), default="zh-CN")
