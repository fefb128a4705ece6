"""The dashboard: server-rendered pages (Jinja2 and htmx), one module per area."""
