"""Seeing riskreg run: request ids, structured logs and Prometheus metrics (README "Seeing it run")."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Wire request ids, the per-request log line and the request metrics; called early by the
    factory so its hooks run before any other before_request hook can answer."""
    from riskreg.observability import access, hosts, logs, metrics, requests

    logs.configure(app)
    access.configure(app)
    metrics.configure(app)
    requests.register(app)
    hosts.warn_about_per_host_state(app)
