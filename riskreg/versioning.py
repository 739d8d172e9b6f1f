"""Optimistic locking for versioned forms: the version every one must carry and the signed base
(the values an edit form was opened with, for the three-way merge of riskreg.editing)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput

from riskreg.merge import comparable

VERSION_MISSING = _l(
    "This form does not say which version of the %(thing)s it was opened at, so it could overwrite a "
    "change saved meanwhile. Nothing was saved: reload the page and make your change again."
)
BASE_INVALID = _l(
    "This form's record of the values it was opened with is missing or damaged. Nothing was saved: "
    "reload the page and make your change again."
)
MAX_BASE_CHARS = 300_000  # the fields' own length limits keep a real base far below this


class VersionField(IntegerField):
    """The record's version when the form was opened; required (`posted_version` makes its absence a
    400 before the form is validated)."""

    widget = HiddenInput()

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [InputRequired(), NumberRange(min=1)])
        super().__init__(label, **kwargs)


class BaseField(HiddenField):
    """The signed values the form was opened with."""


@dataclass(frozen=True)
class Base:
    version: int
    values: dict[str, Any]  # comparable (JSON) values, see riskreg.merge.comparable
    ask: tuple[str, ...]  # fields both people changed: the editor must say whose value to keep
    seen: int  # the record's latest audit event when the form was opened


def posted_version(form: Any, thing: str) -> int:
    """The version the post carries; a missing or non-numeric one is a 400 (never "no check")."""
    raw = (form.version.raw_data or [""])[0]
    if not isinstance(raw, str) or not re.fullmatch(r"[1-9][0-9]{0,8}", raw.strip()):
        abort(400, str(VERSION_MISSING) % {"thing": thing})
    return int(raw)


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"riskreg.edit-base.{salt}")


def seal(salt: str, record_id: int, version: int, values: Mapping[str, Any], ask=(), seen: int = 0) -> str:
    payload = {
        "id": record_id,
        "version": version,
        "values": {name: comparable(value) for name, value in values.items()},
        "ask": list(ask),
        "seen": seen,
    }
    return _serializer(salt).dumps(payload)


def unseal(salt: str, token: Any, record_id: int, version: int, fields: Iterable[str]) -> Base:
    """The base a post carries, checked: signed by us, for this record, at the version posted."""
    if not isinstance(token, str) or not token or len(token) > MAX_BASE_CHARS:
        abort(400, str(BASE_INVALID))
    try:
        payload = _serializer(salt).loads(token)
    except BadData:
        abort(400, str(BASE_INVALID))
    known = set(fields)
    if (
        not isinstance(payload, dict)
        or payload.get("id") != record_id
        or payload.get("version") != version
        or not isinstance(payload.get("values"), dict)
        or not isinstance(payload.get("ask"), list)
        or not all(isinstance(name, str) and name in known for name in payload["ask"])
        or not isinstance(payload.get("seen"), int)
    ):
        abort(400, str(BASE_INVALID))
    return Base(version, payload["values"], tuple(payload["ask"]), payload["seen"])


def put(form_field: Any, value: Any) -> None:
    """Show `value` in the field (the posted text would otherwise win when it renders)."""
    form_field.data = value
    form_field.raw_data = []
