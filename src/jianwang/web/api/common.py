"""Conventions every list endpoint shares: ``limit``/``offset`` paging and a page envelope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 500


@dataclass(frozen=True)
class Paging:
    """Which slice of a list a request wants."""

    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many there are in all, and the slice taken."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], paging: Paging) -> Page[T]:
        """Slice a full list (lists here are bounded by what one authority holds)."""
        return cls(
            items=items[paging.offset : paging.offset + paging.limit],
            total=len(items),
            limit=paging.limit,
            offset=paging.offset,
        )
