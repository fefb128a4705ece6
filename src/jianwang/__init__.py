"""Jianwang: find unlicensed copies of protected works and carry each finding to enforcement."""

__version__ = "0.1.0"
