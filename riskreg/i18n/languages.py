"""The languages riskreg speaks, each named in itself (as a language menu shows them)."""

from __future__ import annotations

# English is the source language of the catalogues; the others live in riskreg/translations.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español", "pt": "Português"}
