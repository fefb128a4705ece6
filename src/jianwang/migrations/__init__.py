"""Alembic migrations for the Jianwang schema."""
