"""The language of each request (Flask-Babel): `?lang=` for the session, else the user's own
setting (/me/settings), else the browser's Accept-Language, else RISKREG_DEFAULT_LOCALE.

An unsupported value anywhere in that chain is passed over without an error. Outside a request
(jobs, mails, the command line) the company default applies unless the caller forces a locale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache, cached_property
from typing import Any, TypeVar

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import (
    Babel,
    Domain,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
)
from flask_babel.speaklater import LazyString
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from wtforms.i18n import messages_path as wtforms_messages_path

from riskreg.i18n.languages import LANGUAGES

T = TypeVar("T")
SESSION_KEY = "lang"


# The context's g in one call rather than a lookup through the proxy: the catalogue and the locale
# are read hundreds of times a page (werkzeug's _get_current_object, documented for such code).
_app_globals = g._get_current_object


class KeptDomain(Domain):
    """Flask-Babel's message domain, its catalogue looked up once per context and language.

    A page reads hundreds of messages (a register page over a thousand), and Flask-Babel finds the
    catalogue anew for each: a dozen context-local lookups and the locale turned into a string, a
    third of a page's time. The catalogue is kept beside Flask-Babel's own locale of the context,
    so force_locale (mails, the workbook's languages) and refresh() still switch it. gettext,
    lazy_gettext, the forms' messages and the templates all read it."""

    def get_translations(self) -> Translations | NullTranslations:
        found = kept_catalogue()
        if found is not NOT_KEPT:
            return found
        found = super().get_translations()
        context = _app_globals()._flask_babel  # made and given its locale by Flask-Babel's lookup
        context.riskreg_catalogue = (context.babel_locale, found)
        return found


class RiskregBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return KeptDomain(domain=self.domain)


NOT_KEPT = object()  # kept_catalogue's answer when this context keeps no catalogue yet


def kept_catalogue() -> Translations | NullTranslations | object:
    """The catalogue kept for this context's locale (KeptDomain); no translation outside any
    application context (as Flask-Babel answers there); NOT_KEPT on the context's first message or
    once its locale has changed."""
    try:
        context = _app_globals()._flask_babel
        kept = context.riskreg_catalogue
        if kept[0] is context.babel_locale:
            return kept[1]
    except AttributeError:
        return NOT_KEPT
    except RuntimeError:
        return NullTranslations()
    return NOT_KEPT


def catalogue() -> Translations | NullTranslations:
    """This context's catalogue (see KeptDomain): what the templates' _() reads. Outside any
    application (a module's import, the command line before the app): no translation.

    The kept catalogue is read first, without the domain's lookup: a page asks a few hundred times."""
    found = kept_catalogue()
    return babel.domain_instance.get_translations() if found is NOT_KEPT else found  # type: ignore[return-value]


babel = RiskregBabel()


# The Python code's gettext, ngettext and pgettext: Flask-Babel's, reading catalogue() directly.
# Flask-Babel's own find their domain anew on every call (four context-local lookups), and a page's
# Python asks about a hundred times (labels, headings, a heatmap's cell texts).
def gettext(string: str, /, **variables: Any) -> str:
    text = catalogue().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    return catalogue().ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, /, **variables: Any) -> str:
    text = catalogue().upgettext(context, string)
    return text % variables if variables else text


@cache
def _wtforms_catalogue(language: str) -> Translations | NullTranslations:
    return Translations.load(wtforms_messages_path(), [language], domain="wtforms")


class WTFormsMessages:
    """WTForms' own messages ("This field is required.") in the language of the moment they are
    shown (riskreg.forms.Form): Flask-WTF would read their catalogue from disk on every request
    and keep the request's first language for it. Looked up when a message is asked for, not when
    the form is made, so a language saved by the form itself applies to its own messages."""

    @staticmethod
    def _catalogue() -> Translations | NullTranslations:
        locale = current_locale() if has_app_context() else None
        return _wtforms_catalogue(str(locale)) if locale is not None else NullTranslations()

    def gettext(self, string: str) -> str:
        return self._catalogue().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalogue().ungettext(singular, plural, n)


WTFORMS_MESSAGES = WTFormsMessages()


# Flask-Babel's lazy message declares itself markup (`__html__` returning the message as it is), so
# Jinja would print it unescaped, the people's words in its placeholders included ("Saved %(title)s"
# with a title holding <script>). Here its markup is the message escaped: Jinja, WTForms and
# markupsafe translate it once and escape it like any text. A message meant as HTML is marked up
# where the page renders it.
def _escaped(message: LazyString) -> Markup:
    return escape(str(message))


def _translated(message: LazyString) -> str:
    """The message in this context's language, translated once per catalogue: a module's lazy
    labels (a column heading, a form label) are printed on every row of a page."""
    language = catalogue()
    kept = message.__dict__.get("_kept")
    if kept is not None and kept[0] is language:
        return kept[1]
    text = str(message._func(*message._args, **message._kwargs))
    message.__dict__["_kept"] = (language, text)
    return text


LazyString.__html__ = _escaped  # type: ignore[attr-defined]
LazyString.__str__ = _translated  # type: ignore[method-assign]


def N_(text: str) -> str:  # noqa: N802 (gettext's conventional name for a deferred mark)
    """Marks `text` for the catalogues and keeps it English: a name (a sheet's, a header) that is
    translated with gettext where it is written or shown."""
    return text


def init_app(app: Flask) -> None:
    default = app.config["DEFAULT_LOCALE"]
    if default not in LANGUAGES:  # a mapping given to create_app skips the environment's check
        raise ValueError(f"RISKREG_DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}, not {default!r}")
    babel.init_app(app, locale_selector=select_locale, default_locale=app.config["DEFAULT_LOCALE"])
    install_template_gettext(app.jinja_env)
    app.before_request(remember_requested_language)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=current_language)
    from riskreg.i18n.reference import translate

    app.jinja_env.filters.update(day=day, moment=moment, number=number, ref=translate)


# The templates' messages without values, as shown in HTML, kept per catalogue: a page shows a
# hundred or more (headings, labels, buttons), each once translated and marked up. Templates pass
# only literal messages, so the number is that of the templates' messages; the bound is a guard.
SHOWN_MESSAGES_KEPT = 5_000


def shown_messages(language: Translations | NullTranslations) -> dict[str, str]:
    kept = language.__dict__.get("riskreg_shown")
    if kept is None:
        kept = language.__dict__["riskreg_shown"] = {}
    return kept


def install_template_gettext(env: Environment) -> None:
    """The templates' _(), gettext, ngettext, pgettext and npgettext: Jinja's "newstyle" gettext
    (the message always a format string, escaped in HTML), reading catalogue().

    Jinja's own take the whole template context, and inside a loop it copies that context for
    each call (a register page: thousands of copies); these take only the evaluation context,
    which says whether the template escapes."""

    def shown(eval_ctx: EvalContext, text: str, variables: dict[str, Any]) -> str:
        message = Markup(text) if eval_ctx.autoescape else text  # noqa: S704 (the catalogue)
        if not variables and "%" not in text:
            return message  # nothing to fill in: the same text, without Markup's Python formatter
        return message % variables

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
        language = catalogue()
        if variables or not eval_ctx.autoescape:
            return shown(eval_ctx, language.ugettext(string), variables)
        kept = shown_messages(language)  # a message without values: the same Markup every time
        message = kept.get(string)
        if message is None:
            message = shown(eval_ctx, language.ugettext(string), variables)
            if len(kept) < SHOWN_MESSAGES_KEPT:
                kept[string] = message
        return message

    @pass_eval_context
    def ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any) -> str:
        variables.setdefault("num", num)
        return shown(eval_ctx, catalogue().ungettext(singular, plural, num), variables)

    @pass_eval_context
    def pgettext(eval_ctx: EvalContext, context: str, string: str, /, **variables: Any) -> str:
        variables.setdefault("context", context)
        return shown(eval_ctx, catalogue().upgettext(context, string), variables)

    @pass_eval_context
    def npgettext(
        eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int, /, **variables: Any
    ) -> str:
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        return shown(eval_ctx, catalogue().unpgettext(context, singular, plural, num), variables)

    env.newstyle_gettext = True  # type: ignore[attr-defined]  (what {% trans %} compiles to)
    env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)


def remember_requested_language() -> None:
    """`?lang=fr` on any page: French for the rest of the session; an unknown code is ignored."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session[SESSION_KEY] = wanted


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return chosen
    own = user_language()
    if own in LANGUAGES:
        return own
    return browser_language() or current_app.config["DEFAULT_LOCALE"]


def browser_language() -> str | None:
    """The first language of Accept-Language (by its weights) we speak, by primary tag: "pt-BR;q=0.8"
    is Portuguese, ahead of "es;q=0.5" (werkzeug's best_match would prefer the exact "es")."""
    for value, _quality in request.accept_languages:  # highest weight first
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def user_language() -> str | None:
    """The signed-in user's own setting; None when there is none or the database cannot say (an
    error page about the database must still render, in the default language)."""
    from flask_login import current_user

    try:
        return current_user.locale if current_user.is_authenticated else None
    except SQLAlchemyError:
        return None


def current_locale() -> Locale | None:
    """Flask-Babel's locale of this context, read from its per-context slot once it is chosen (a
    page asks thousands of times: a label, a date, a reference text), else chosen by get_locale."""
    try:
        locale = _app_globals()._flask_babel.babel_locale
    except (AttributeError, RuntimeError):
        return get_locale()
    return locale if locale is not None else get_locale()


def current_language() -> str:
    """The code for <html lang="..">: the language the page is rendered in."""
    locale = current_locale()
    return locale.language if locale is not None else current_app.config["DEFAULT_LOCALE"]


# How pages show dates and numbers (Babel's digit grouping and decimal sign in every language,
# "12,500" / "12 500" / "12.500"). English keeps the ISO date the register has always shown (one
# reading for every English-speaking office); the other languages get Babel's medium format
# ("2 déc. 2026"). Inputs, exports and the API keep ISO whatever the language.
def day(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    if current_language() == "en":
        return value.isoformat()
    return format_date(value, "medium")


def moment(value: datetime | None) -> str:
    """A stored UTC timestamp, shown as UTC (the server knows no user's time zone)."""
    if value is None:
        return "—"
    if current_language() == "en":
        return value.strftime("%Y-%m-%d %H:%M") + " UTC"
    return format_datetime(value, "medium", rebase=False).rsplit(":", 1)[0] + " UTC"


def number(value: float | int | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value)


# Working in each language in turn: the import's lookups, the XLSForm's columns, an enum's labels.
@contextmanager
def language(code: str | None) -> Iterator[None]:
    """Work in `code` (a supported language) for a while; anything else keeps the current one."""
    if code in LANGUAGES and has_app_context():
        with force_locale(code):
            yield
    else:
        yield


def languages() -> list[str]:
    """The current language first, then English, then the others: the order a lookup prefers
    when two languages give one word two meanings."""
    first = current_language() if has_app_context() else "en"
    rest = [code for code in ("en", *LANGUAGES) if code != first]
    return list(dict.fromkeys([first, *rest]))


def in_every_language(make: Callable[[], T]) -> Iterator[T]:
    """`make()` once under each language, the preferred first (see languages())."""
    for code in languages():
        with language(code):
            yield make()
