"""The pipeline: plain functions that string the steps together (crawl, capture, match)."""
