"""Documents people read: HTML from templates and PDF, with Chinese text, built offline."""
