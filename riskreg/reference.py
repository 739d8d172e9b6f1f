"""Controlled lists read from seeds/ (TOML, standard library only), cached per file."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app


@lru_cache(maxsize=32)
def _load(path: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def seed_file(name: str) -> dict[str, Any]:
    return _load(str(Path(current_app.config["SEEDS_DIR"]) / name))


def categories() -> list[str]:
    return list(seed_file("taxonomy.toml")["categories"])
