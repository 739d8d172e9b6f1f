"""@name mentions: which active person a word after @ names.

The rule, in this order: the part of an active user's e-mail before the @ (``@sam.osei`` for
sam.osei@mine.example), else one word of an active user's name (``@Sam``). Case does not matter.
A word that names nobody, or more than one person, is left as plain text and reported as not
notified: a mention never reaches someone by guesswork.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from riskreg.auth.models import User
from riskreg.extensions import db

# An @ at the start or after a space or opening punctuation (not inside an e-mail address),
# then letters, digits, dots, hyphens and underscores; a trailing dot ends a sentence, not a name.
MENTION = re.compile(r"(?<![\w.@])@([\w][\w.\-]*\w|\w)")
MAX_MENTIONS = 20


@dataclass
class Resolved:
    users: dict[str, User] = field(default_factory=dict)  # token (lower case) -> the person
    unknown: list[str] = field(default_factory=list)  # tokens that name nobody
    ambiguous: list[str] = field(default_factory=list)  # tokens that name several people

    @property
    def not_notified(self) -> list[str]:
        return [*self.unknown, *self.ambiguous]


def tokens_in(text: str) -> list[str]:
    """The distinct mention words of `text`, lower case, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)[:MAX_MENTIONS]


def resolve(text: str) -> Resolved:
    """The people `text` mentions, by the rule above; one query."""
    result = Resolved()
    tokens = tokens_in(text)
    if not tokens:
        return result
    people = db.session.execute(sa.select(User.id, User.email, User.name).where(User.active.is_(True))).all()
    by_email: dict[str, set[int]] = {}
    by_word: dict[str, set[int]] = {}
    for person in people:
        by_email.setdefault(person.email.partition("@")[0].lower(), set()).add(person.id)
        for word in re.findall(r"[\w.\-]+", person.name.lower()):
            by_word.setdefault(word, set()).add(person.id)
    chosen: dict[str, int] = {}
    for token in tokens:
        ids = by_email.get(token) or by_word.get(token) or set()
        if len(ids) == 1:
            chosen[token] = next(iter(ids))
        elif ids:
            result.ambiguous.append(token)
        else:
            result.unknown.append(token)
    if chosen:
        users = {
            user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(chosen.values())))
        }
        result.users = {token: users[user_id] for token, user_id in chosen.items()}
    return result


@dataclass(frozen=True)
class Segment:
    text: str
    person: str | None = None  # the name of the person a mention notified


def segments(body: str, notified: dict[str, str]) -> list[Segment]:
    """The comment split into plain text and the mentions that reached someone (token -> name);
    the template escapes every part."""
    parts: list[Segment] = []
    position = 0
    for match in MENTION.finditer(body):
        name = notified.get(match.group(1).lower())
        if name is None:
            continue
        if match.start() > position:
            parts.append(Segment(body[position : match.start()]))
        parts.append(Segment(match.group(0), name))
        position = match.end()
    if position < len(body):
        parts.append(Segment(body[position:]))
    return parts
