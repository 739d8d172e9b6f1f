"""pg_dump and pg_restore: the connection comes from the app's URL, the password by environment
(never on a command line, where `ps` shows it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from riskreg.backup.manifest import BackupError


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (the same major version as the "
            "server) on this host."
        )
    return path


def connection(url: sa.URL) -> tuple[str, dict[str, str]]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def run(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if result.returncode != 0:
        name = Path(args[0]).name
        raise BackupError(f"{name} failed: {result.stderr.strip() or result.returncode}")
    return result


def dump(url: sa.URL, out: Path, snapshot: str) -> None:
    """A custom-format dump of the exported snapshot (the caller keeps its transaction open)."""
    uri, env = connection(url)
    run(
        [
            tool("pg_dump"),
            "--format=custom",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--file={out}",
            f"--dbname={uri}",
        ],
        env,
    )


def drops(conn: sa.Connection) -> list[str]:
    """What must go before the dump's objects are created again (with --force, or an empty schema)."""
    quote = conn.dialect.identifier_preparer.quote
    tables = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
    views = conn.execute(sa.text("SELECT viewname FROM pg_views WHERE schemaname = current_schema()"))
    sequences = conn.execute(
        sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
    )
    types = conn.execute(
        sa.text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd')"
        )
    )
    # Functions of riskreg's own (the kept counts' and the search index's triggers), not those an
    # extension such as pg_trgm installed in the schema: the dump creates those again by itself.
    functions = conn.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')"
        )
    )
    statements = [f"DROP VIEW IF EXISTS {quote(name)} CASCADE;" for (name,) in views]
    statements += [f"DROP TABLE IF EXISTS {quote(name)} CASCADE;" for (name,) in tables]
    statements += [f"DROP SEQUENCE IF EXISTS {quote(name)} CASCADE;" for (name,) in sequences]
    statements += [f"DROP TYPE IF EXISTS {quote(name)} CASCADE;" for (name,) in types]
    statements += [f"DROP FUNCTION IF EXISTS {signature} CASCADE;" for (signature,) in functions]
    return statements


def restore(url: sa.URL, dump_file: Path, before: list[str]) -> None:
    """`before` (the drops) and the whole dump run in ONE transaction: a failure changes nothing."""
    uri, env = connection(url)
    with tempfile.TemporaryFile() as errors:
        script = subprocess.Popen(  # noqa: S603
            [tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-", str(dump_file)],
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
        )
        args = [tool("psql"), "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=1", "--single-transaction"]
        if before:
            args += ["-c", "\n".join(before)]
        try:
            result = subprocess.run(  # noqa: S603
                [*args, "-f", "-", f"--dbname={uri}"],
                stdin=script.stdout,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                check=False,
            )
        finally:
            if script.stdout:
                script.stdout.close()
            script.wait()
        errors.seek(0)
        # psql first: when it stops at an error, pg_restore only sees its pipe close.
        if result.returncode != 0:
            raise BackupError(f"psql failed (nothing was changed): {result.stderr.strip()}")
        if script.returncode != 0:
            raise BackupError(f"pg_restore failed: {errors.read().decode(errors='replace').strip()}")
