"""What several hosts must share, checked at start: on a server database (several hosts may serve
it) a secret key made in one host's instance folder signs cookies no other host accepts, and
rate limits counted in one worker's memory are not counted by the others. Both are warned about,
not refused: one host with one worker on PostgreSQL is a valid setup."""

from __future__ import annotations

import logging

from flask import Flask

logger = logging.getLogger(__name__)


def per_host_state(app: Flask) -> list[str]:
    """The settings that keep state on one host although the database is shared."""
    config = app.config
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("sqlite"):
        return []  # one machine's file: one host by construction
    problems = []
    if config.get("SECRET_KEY_FROM_INSTANCE"):
        problems.append(
            "RISKREG_SECRET_KEY is not set: this host made its own key, so a sign-in on another host "
            "is not valid here; give every host the same RISKREG_SECRET_KEY"
        )
    limited = config.get("RATELIMIT_ENABLED", True)
    if limited and str(config.get("RATELIMIT_STORAGE_URI") or "").startswith("memory"):
        problems.append(
            "rate limits are counted in each worker's memory: set RISKREG_REDIS_URL so every worker "
            "and host counts together"
        )
    return problems


def warn_about_per_host_state(app: Flask) -> None:
    for problem in per_host_state(app):
        logger.warning("several hosts: %s", problem)
