"""Group → role (and department) mappings for company sign-in (OpenID Connect, LDAP).

A map is JSON in the environment, its keys the provider's group ids (Entra ID object ids, Okta
group names, LDAP group DNs), each value a role or {"role": ..., "department": ...}:

    {"6d1e...": "admin", "riskreg-heads-security": {"role": "department_head", "department": "Security"}}

The first entry (in the map's order) whose group the person is in gives their role: list the
strongest first. Nobody in any mapped group gets no access at all, never a default role.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from riskreg.auth.models import Role


@dataclass(frozen=True)
class Grant:
    group: str
    role: Role
    department: str | None = None


class RoleMapError(ValueError):
    """The setting is not a valid map; the message names the setting."""


def parse(setting: str, raw: str | None) -> list[Grant]:
    if not raw or not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RoleMapError(f"{setting} is not valid JSON: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(data, dict) or not data:
        raise RoleMapError(
            f'{setting} must be a JSON object of group → role, e.g. {{"group-id": "executive"}}'
        )
    grants = []
    roles = ", ".join(r.value for r in Role)
    for group, value in data.items():
        if isinstance(value, str):
            value = {"role": value}
        if not isinstance(value, dict) or set(value) - {"role", "department"}:
            raise RoleMapError(f"{setting}: group {group!r} must map to a role or to {{role, department}}")
        try:
            role = Role(value.get("role"))
        except ValueError as exc:
            raise RoleMapError(
                f"{setting}: group {group!r} names the unknown role {value.get('role')!r} (one of: {roles})"
            ) from exc
        department = value.get("department") or None
        if department is not None and not isinstance(department, str):
            raise RoleMapError(f"{setting}: the department of group {group!r} must be a name")
        if role is Role.DEPARTMENT_HEAD and department is None:
            raise RoleMapError(f"{setting}: group {group!r} maps to department_head without a department")
        grants.append(Grant(str(group), role, department))
    return grants


def check_departments(setting: str, grants: list[Grant], connection: sa.Connection) -> None:
    """Every department a map names must exist (skipped on a database not built yet: `flask db
    upgrade` must run before there is anything to compare with)."""
    named = {g.department for g in grants if g.department}
    if not named or not sa.inspect(connection).has_table("departments"):
        return
    known = {row[0].lower() for row in connection.execute(sa.text("SELECT name FROM departments"))}
    if not known:
        return
    unknown = sorted(name for name in named if name.lower() not in known)
    if unknown:
        raise RoleMapError(f"{setting} names departments that do not exist: {', '.join(unknown)}")


def resolve(grants: list[Grant], groups: Iterable[str]) -> Grant | None:
    member_of = {str(g).lower() for g in groups}
    for grant in grants:
        if grant.group.lower() in member_of:
            return grant
    return None
