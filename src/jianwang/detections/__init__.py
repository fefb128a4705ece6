"""Detections: matches of captures against the protection list, licence checks and review."""
