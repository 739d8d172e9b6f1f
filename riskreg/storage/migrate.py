"""Moving every kept file from one back end to the other (`flask storage migrate --to ...`).

Each file is copied, then read back at the destination and its sha256 compared with the source's
(and, for evidence, with the checksum recorded at upload). Nothing leaves the source until every
file is verified, so an interrupted run loses nothing, and running it again finishes the job: files
already at the destination with the right checksum are not copied twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from riskreg.controls.models import ControlEvidence
from riskreg.extensions import db
from riskreg.storage import BACK_ENDS, IterStream, Storage, StorageError, back_end, checksum

logger = logging.getLogger(__name__)

PLACES = {"local": "the local folder", "database": "the database"}


class MigrationFailed(Exception):
    """Some files could not be moved; every file is still at the source."""


@dataclass
class Report:
    source: str
    destination: str
    copied: int = 0
    already: int = 0
    removed: int = 0
    size: int = 0
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # recorded evidence found in neither back end

    @property
    def verified(self) -> int:
        return self.copied + self.already

    def summary(self) -> str:
        return (
            f"{self.verified} file(s) verified in {PLACES[self.destination]} ({self.copied} copied, "
            f"{self.already} already there, {self.size / (1024 * 1024):.1f} MB); "
            f"{self.removed} removed from {PLACES[self.source]}."
        )


def recorded_checksums() -> dict[str, str]:
    rows = db.session.execute(sa.select(ControlEvidence.stored_name, ControlEvidence.sha256))
    return {f"evidence/{name}": sha for name, sha in rows}


def migrate(to: str, say: Callable[[str], None] = logger.info) -> Report:
    if to not in BACK_ENDS:
        raise StorageError(f"Unknown storage {to!r}: use one of {', '.join(BACK_ENDS)}.")
    source_name = next(name for name in BACK_ENDS if name != to)
    source, destination = back_end(source_name), back_end(to)
    report = Report(source_name, to)
    keys = list(source.keys())
    db.session.commit()  # end the listing's transaction: each copy below commits on its own
    say(f"{len(keys)} file(s) in {PLACES[source_name]} to move to {PLACES[to]}.")
    recorded = recorded_checksums()
    verified: list[str] = []
    for number, key in enumerate(keys, 1):
        try:
            if _move_one(source, destination, key, recorded.get(key), report):
                verified.append(key)
        except (OSError, StorageError, SQLAlchemyError) as error:
            db.session.rollback()
            logger.exception("copying %s to %s failed", key, to)
            report.problems.append(f"{key}: could not be copied ({error.__class__.__name__}: {error}).")
        if number % 100 == 0:
            say(f"  {number} of {len(keys)} checked.")
    found = set(keys) | set(destination.keys())
    report.missing = sorted(key for key in recorded if key not in found)
    db.session.commit()
    if report.problems:
        raise MigrationFailed(
            "\n".join(report.problems)
            + f"\n{len(report.problems)} file(s) could not be moved; nothing was removed from "
            f"{PLACES[source_name]}. Fix the cause and run the command again: it carries on where it stopped."
        )
    for key in verified:  # every file is verified: only now does the source let go
        source.delete(key)
        db.session.commit()
        report.removed += 1
    return report


def _move_one(source: Storage, destination: Storage, key: str, expected: str | None, report: Report) -> bool:
    size, sha = checksum(source.open(key))
    if expected and expected != sha:
        report.problems.append(
            f"{key}: its content does not match the checksum recorded at upload (sha256 {expected[:12]}…); "
            "it was not copied."
        )
        return False
    if destination.exists(key) and checksum(destination.open(key)) == (size, sha):
        report.already += 1
    else:
        destination.save(key, IterStream(source.open(key)))
        db.session.commit()
        if checksum(destination.open(key)) != (size, sha):
            report.problems.append(
                f"{key}: the copy in {PLACES[report.destination]} does not match the original."
            )
            return False
        report.copied += 1
    report.size += size
    return True
