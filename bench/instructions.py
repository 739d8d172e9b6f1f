"""What one request costs in CPU instructions: a count that does not move with the machine's load.

    .venv/bin/python bench/instructions.py sqlite:////abs/path/bench/data/bench-1000.sqlite \
        [/risks /dashboard ...] [--runs 6] [--app-root OTHER_CHECKOUT]

Timings on a shared 2-core machine move by a third from one minute to the next, which hides a
change of a few per cent; instructions do not. This runs itself under valgrind's callgrind
(`apt-get install valgrind`): each page is warmed up, then `--runs` GETs of it run inside one
libffi call (a libc qsort whose comparator is the Python loop), and callgrind collects only inside
that call and writes one dump per page. Printed: millions of instructions per request, per page.
About 90 s to start the application under valgrind, then ~0.5 s per request of a 10 ms page.

Compare two checkouts by running it once with --app-root on each (e.g. a `git worktree` of the
commit before a change): the same pages, the same database, two numbers a few per cent apart
that mean it.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_PATHS = ("/healthz", "/risks", "/risks/{risk}", "/controls/mine", "/dashboard", "/me")
CHILD = "RISKREG_INSTRUCTIONS_CHILD"


def measure_inside_valgrind(url: str, root: Path, paths: list[str], runs: int) -> None:
    """The child: sign in, warm each page up, then run its requests inside one ffi call."""
    # bench/profile.py (the sample ids, the seed's password), by path: "profile" is also a stdlib module
    spec = importlib.util.spec_from_file_location("bench_profile", HERE / "profile.py")
    bench_profile = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench_profile)  # type: ignore[union-attr]
    sys.path.insert(0, str(root))  # after profile.py, which puts its own checkout first
    import logging

    import sqlalchemy as sa

    from riskreg import create_app

    logging.disable(logging.INFO)  # the request log line would be counted with each request
    ids = bench_profile.sample_ids(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ids["department"] = conn.execute(sa.text("SELECT min(department_id) FROM controls")).scalar()
        head = conn.execute(
            sa.text("SELECT email FROM users WHERE role='department_head' ORDER BY id")
        ).scalar()
    engine.dispose()
    libc = ctypes.CDLL(None)
    compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    libc.qsort.restype = None
    libc.qsort.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, compare]
    pair = (ctypes.c_int * 2)(1, 2)  # two items: qsort calls the comparator once
    for template in paths:
        client = app.test_client()
        email = head if template.startswith("/controls/mine") else ids["manager"]
        client.post("/login", data={"email": email, "password": bench_profile.SCALE_PASSWORD})
        path = template.format(**ids)
        for _ in range(3):
            status = client.get(path).status_code
            if status != 200:
                raise SystemExit(f"{path} answered {status}")

        def requests(_a: int, _b: int, path: str = path, client: object = client) -> int:
            for _ in range(runs):
                client.get(path)  # type: ignore[attr-defined]
            return 0

        callback = compare(requests)
        # as wsgi.py does in a worker: the start-up's objects frozen, so a cyclic collection of the
        # whole heap does not fall inside one page's measured requests and not another's
        gc.collect()
        gc.freeze()
        libc.qsort(pair, 2, ctypes.sizeof(ctypes.c_int), callback)
        print(template, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "url", help="an absolute database URL (sqlite:////abs/path or postgresql+psycopg://...)"
    )
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--app-root", type=Path, default=HERE.parent, help="the checkout to measure")
    args = parser.parse_args()
    paths = args.paths or list(DEFAULT_PATHS)
    if os.environ.get(CHILD):
        measure_inside_valgrind(args.url, args.app_root.resolve(), paths, args.runs)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            "--dump-instr=no",
            "--collect-atstart=no",
            "--toggle-collect=ffi_call",  # collect inside ctypes calls only: the pages' requests
            "--dump-after=ffi_call",  # one dump per page
            sys.executable,
            __file__,
            *sys.argv[1:],
        ]
        done = subprocess.run(
            command, env=os.environ | {CHILD: "1"}, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        measured = done.stdout.split()
        dumps = sorted(Path(scratch).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        totals = []
        for dump in dumps:
            found = re.search(r"^summary:\s+(\d+)", dump.read_text(errors="replace"), re.M)
            if found and int(found.group(1)) > 100_000:  # not a stray ctypes call of a library
                totals.append(int(found.group(1)))
        if len(totals) != len(measured):
            raise SystemExit(f"{len(totals)} dumps for {len(measured)} pages: cannot tell them apart")
        print(f"{args.app_root}: millions of instructions per request ({args.runs} requests each)")
        for page, total in zip(measured, totals, strict=True):
            print(f"  {page:<56} {total / args.runs / 1e6:8.2f}")


if __name__ == "__main__":
    main()
