"""Reports: campaign figures and summaries for people and scripts."""
