"""LDAP and Active Directory sign-in with ldap3: bind (as the service account, or anonymously),
search the person's entry with the configured filter (the name typed is escaped: no filter
injection), bind as that entry with the password typed, then map its groups to a role.

TLS always: ldaps://, or ldap:// with StartTLS; plain ldap:// only with RISKREG_LDAP_ALLOW_PLAIN
(a test lab). The certificate is checked (RISKREG_LDAP_CA_FILE for a company CA). The settings are
checked at start-up; the directory is not contacted then, so a directory that is down leaves local
(break-glass) accounts working and tells the others so.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from ldap3 import NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from riskreg.auth import rolemap

EXTENSION = "riskreg_ldap"


class DirectoryDown(Exception):
    """The directory could not be reached or would not answer."""


@dataclass(frozen=True)
class Person:
    dn: str
    email: str | None
    name: str | None
    groups: list[str]


def enabled(app: Flask | None = None) -> bool:
    return EXTENSION in (app or current_app).extensions


def grants_of(app: Flask | None = None) -> list[rolemap.Grant]:
    return (app or current_app).extensions[EXTENSION]["grants"]


def configure(app: Flask) -> None:
    """Check the LDAP settings (ValueError naming the setting); nothing is contacted."""
    config = app.config
    url = (config.get("LDAP_URL") or "").strip()
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise ValueError(f"RISKREG_LDAP_URL must be ldaps://host[:port] or ldap://host[:port], not {url!r}")
    if parts.scheme == "ldap" and not config["LDAP_START_TLS"] and not config["LDAP_ALLOW_PLAIN"]:
        raise ValueError(
            f"RISKREG_LDAP_URL {url!r} has no TLS: use ldaps://, or set RISKREG_LDAP_START_TLS=true "
            "(plain LDAP only with RISKREG_LDAP_ALLOW_PLAIN=true, in a test lab: passwords would cross "
            "the network readable)"
        )
    if parts.scheme == "ldaps" and config["LDAP_START_TLS"]:
        raise ValueError("RISKREG_LDAP_START_TLS is for ldap:// addresses; ldaps:// is TLS already")
    if not config.get("LDAP_USER_BASE"):
        raise ValueError("RISKREG_LDAP_USER_BASE must be set when RISKREG_LDAP_URL is")
    if "{username}" not in config["LDAP_USER_FILTER"]:
        raise ValueError("RISKREG_LDAP_USER_FILTER must contain {username}, e.g. (sAMAccountName={username})")
    if config.get("LDAP_BIND_DN") and not config.get("LDAP_BIND_PASSWORD"):
        raise ValueError("RISKREG_LDAP_BIND_PASSWORD must be set when RISKREG_LDAP_BIND_DN is")
    ca_file = config.get("LDAP_CA_FILE")
    if ca_file:
        try:
            ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"RISKREG_LDAP_CA_FILE {ca_file!r} cannot be read as certificates: {exc}"
            ) from exc
    grants = rolemap.parse("RISKREG_LDAP_ROLE_MAP", config.get("LDAP_ROLE_MAP"))
    if not grants:
        raise ValueError(
            "RISKREG_LDAP_ROLE_MAP must map at least one group DN to a role (nobody else gets in)"
        )
    app.extensions[EXTENSION] = {"grants": grants, "url": url, "tls": parts.scheme == "ldaps"}


def _server() -> Server:
    config = current_app.config
    state = current_app.extensions[EXTENSION]
    tls = Tls(
        validate=ssl.CERT_REQUIRED,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_file=config.get("LDAP_CA_FILE") or None,
    )
    return Server(
        state["url"], use_ssl=state["tls"], tls=tls, get_info=NONE, connect_timeout=config["LDAP_TIMEOUT"]
    )


def _connection(server: Server, user: str | None, password: str | None) -> Connection:
    """An open connection (StartTLS done when configured), bound as `user`; False-y bind → None."""
    connection = Connection(
        server,
        user=user,
        password=password,
        receive_timeout=current_app.config["LDAP_TIMEOUT"],
        raise_exceptions=False,
        read_only=True,
    )
    try:
        connection.open()
        if current_app.config["LDAP_START_TLS"] and not connection.start_tls():
            raise DirectoryDown(f"StartTLS refused: {connection.result}")
    except BaseException:
        raw = connection.socket
        connection.unbind()
        if raw is not None:
            raw.close()  # ldap3 leaves it open when the TLS handshake fails
        raise
    return connection


def find_and_check(username: str, password: str) -> Person | None:
    """The person's entry when the name and password are right; None when they are not (an
    unknown name, several entries, a wrong or empty password); DirectoryDown when it cannot tell."""
    config = current_app.config
    username = username.strip()
    if not username or not password or len(username) > 256:
        return None  # an empty password would be an unauthenticated bind, which "succeeds"
    attributes = [
        config["LDAP_EMAIL_ATTRIBUTE"],
        config["LDAP_NAME_ATTRIBUTE"],
        config["LDAP_GROUP_ATTRIBUTE"],
    ]
    try:
        server = _server()
        service = _connection(
            server, config.get("LDAP_BIND_DN") or None, config.get("LDAP_BIND_PASSWORD") or None
        )
        try:
            if not service.bind():
                raise DirectoryDown(f"the service account's bind failed: {service.result.get('description')}")
            search_filter = config["LDAP_USER_FILTER"].replace("{username}", escape_filter_chars(username))
            service.search(
                config["LDAP_USER_BASE"], search_filter, SUBTREE, attributes=attributes, size_limit=2
            )
            if service.result.get("result") not in (0, 4):  # success, or more than the size limit
                raise DirectoryDown(f"the search failed: {service.result.get('description')}")
            entries = list(service.entries)
        finally:
            service.unbind()
        if len(entries) != 1:
            return None
        entry = entries[0]
        person = _connection(server, entry.entry_dn, password)
        try:
            if not person.bind():
                return None
        finally:
            person.unbind()
    except LDAPException as exc:
        raise DirectoryDown(f"{type(exc).__name__}: {exc}") from exc
    return Person(
        dn=entry.entry_dn,
        email=_first(entry, config["LDAP_EMAIL_ATTRIBUTE"]),
        name=_first(entry, config["LDAP_NAME_ATTRIBUTE"]),
        groups=_all(entry, config["LDAP_GROUP_ATTRIBUTE"]),
    )


def _all(entry: Any, attribute: str) -> list[str]:
    if attribute not in entry.entry_attributes:
        return []
    return [str(value) for value in entry[attribute].values]


def _first(entry: Any, attribute: str) -> str | None:
    values = _all(entry, attribute)
    return values[0] if values else None
