"""The served app (wsgi.py, as gunicorn and `flask --app wsgi` load it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_served_app_is_kept_out_of_the_garbage_collectors_walks(tmp_path):
    """What create_app built is frozen (gc.freeze), so a full collection during a request walks only
    that request's objects, not the whole app."""
    probe = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {"RISKREG_DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, still_tracked = map(int, done.stdout.split()[-2:])
    assert frozen > 50_000 and still_tracked < frozen // 10, (frozen, still_tracked)
