"""How the browser journeys get their Chromium: used where it is, installed with apt-get by root (lists
updated first), and otherwise the journeys are skipped with the reason, never failed or downloaded."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser import conftest as setup

UPDATE = ["apt-get", "update"]
INSTALL = ["apt-get", "install", "-y", "chromium"]


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    chromium = tmp_path / "chromium"
    monkeypatch.setattr(setup, "CHROMIUM", chromium)
    monkeypatch.setattr(setup.shutil, "which", lambda name: f"/usr/bin/{name}")
    return chromium


def apt(monkeypatch: pytest.MonkeyPatch, chromium: Path, fail: dict[str, str] | None = None) -> list[Any]:
    """apt-get stand-in: records the commands; `install` creates the binary unless told to fail."""
    calls: list[Any] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        calls.append(command)
        assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"
        error = (fail or {}).get(command[1])
        if error:
            return subprocess.CompletedProcess(command, 100, "", error)
        if command == INSTALL:
            chromium.write_text("#!/bin/sh\n")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(setup.subprocess, "run", run)
    return calls


def test_an_installed_chromium_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch, missing: Path) -> None:
    missing.write_text("#!/bin/sh\n")
    calls = apt(monkeypatch, missing)
    assert setup.ensure_chromium() == str(missing)
    assert calls == []


def test_without_root_the_journeys_are_skipped_saying_how_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: Path
) -> None:
    monkeypatch.setattr(setup.os, "geteuid", lambda: 1000)
    calls = apt(monkeypatch, missing)
    with pytest.raises(pytest.skip.Exception, match=r"only root can install it: run `apt-get install -y"):
        setup.ensure_chromium()
    assert calls == []


def test_without_apt_get_the_journeys_are_skipped(monkeypatch: pytest.MonkeyPatch, missing: Path) -> None:
    monkeypatch.setattr(setup.os, "geteuid", lambda: 0)
    monkeypatch.setattr(setup.shutil, "which", lambda name: None)
    calls = apt(monkeypatch, missing)
    with pytest.raises(pytest.skip.Exception, match="there is no apt-get to install it"):
        setup.ensure_chromium()
    assert calls == []


def test_root_updates_the_package_lists_then_installs_chromium(
    monkeypatch: pytest.MonkeyPatch, missing: Path
) -> None:
    monkeypatch.setattr(setup.os, "geteuid", lambda: 0)
    calls = apt(monkeypatch, missing)
    assert setup.ensure_chromium() == str(missing)
    assert calls == [UPDATE, INSTALL]


def test_a_failed_install_skips_the_journeys_with_apt_gets_message(
    monkeypatch: pytest.MonkeyPatch, missing: Path
) -> None:
    monkeypatch.setattr(setup.os, "geteuid", lambda: 0)
    calls = apt(monkeypatch, missing, fail={"install": "E: Unable to locate package chromium"})
    reason = "could not be installed: `apt-get install -y chromium` exited with 100: E: Unable to locate"
    with pytest.raises(pytest.skip.Exception, match=reason):
        setup.ensure_chromium()
    assert calls == [UPDATE, INSTALL]
