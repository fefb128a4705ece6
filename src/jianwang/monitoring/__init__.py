"""Watching monitored sites: safe fetching, page discovery, stream capture and crawling.

The modules here never touch the database: they take settings and clients as arguments and return
dataclasses, so the service layer that records captures can call any step on its own and a test
can drive it against the local sandbox.
"""
