"""Backups (`flask backup create` / `restore`): a consistent snapshot of the database, the kept files
when they are on disk, and a manifest of row counts and checksums that a restore checks."""
