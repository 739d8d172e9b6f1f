"""The templates' messages without values are translated and marked up once per catalogue
(riskreg.i18n.shown_messages), and still follow the language of each request."""

from __future__ import annotations

from flask_babel import force_locale

from riskreg import i18n


def counted(language, calls: list[str]) -> None:
    """Count the catalogue's own lookups (an attribute on this one catalogue object)."""
    lookup = language.ugettext

    def ugettext(message: str) -> str:
        calls.append(message)
        return lookup(message)

    language.ugettext = ugettext


def test_a_message_without_values_is_looked_up_once_per_catalogue(app):
    page = app.jinja_env.from_string("{{ _('Controls') }}|{{ _('Controls') }}|{{ _('History') }}")
    with app.test_request_context("/"), force_locale("fr"):
        french = i18n.catalogue()
        i18n.shown_messages(french).clear()
        calls: list[str] = []
        counted(french, calls)
        first, second = page.render(), page.render()
        del french.ugettext
        expected = f"{french.ugettext('Controls')}|{french.ugettext('Controls')}|{french.ugettext('History')}"
    assert first == second == expected
    assert "Contrôles" in first and "Historique" in first  # the French catalogue, not English
    assert calls == ["Controls", "History"]


def test_each_request_gets_its_own_languages_messages(app, monkeypatch):
    page = app.jinja_env.from_string("{{ _('Controls') }}")
    shown = {}
    for code in ("fr", "en", "es", "fr"):
        with app.test_request_context("/"), force_locale(code):
            shown.setdefault(code, set()).add(page.render())
    assert all(len(texts) == 1 for texts in shown.values())
    assert shown["en"] == {"Controls"} and shown["fr"] != shown["es"] != shown["en"]


def test_messages_with_values_are_filled_in_each_time_and_not_kept(app):
    page = app.jinja_env.from_string("{{ _('Risk %(ref)s created.', ref=ref) }}")
    with app.test_request_context("/"):
        kept = i18n.shown_messages(i18n.catalogue())
        before = dict(kept)
        assert page.render(ref="R-1<") == "Risk R-1&lt; created."
        assert page.render(ref="R-2") == "Risk R-2 created."
        assert kept == before


def test_the_kept_messages_are_bounded(app, monkeypatch):
    monkeypatch.setattr(i18n, "SHOWN_MESSAGES_KEPT", 2)
    page = app.jinja_env.from_string("{{ _('Controls') }} {{ _('History') }} {{ _('Overview') }}")
    with app.test_request_context("/"), force_locale("fr"):
        kept = i18n.shown_messages(i18n.catalogue())
        kept.clear()
        once, again = page.render(), page.render()
        assert len(kept) == 2
    assert once == again and once.count(" ") >= 2
