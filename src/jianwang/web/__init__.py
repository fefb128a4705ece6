"""The web application: a REST API for integrations and a server-rendered dashboard."""
