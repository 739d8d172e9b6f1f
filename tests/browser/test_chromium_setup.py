"""How the browser journeys get their Chromium: used where it is (Debian's package, installed by
.ci/run), and otherwise skipped with the reason; the tests themselves never install or download one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import conftest as setup


def test_an_installed_chromium_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    monkeypatch.setattr(setup, "CHROMIUM", chromium)
    assert setup.ensure_chromium() == str(chromium)


def test_a_missing_chromium_skips_the_journeys_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(setup, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(pytest.skip.Exception, match=r"missing: install Debian's chromium package"):
        setup.ensure_chromium()
