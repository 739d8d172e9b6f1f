"""Bowtie forms: a cause or consequence's text, and where a control sits on the risk's bowtie."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length

from riskreg.controls.models import Effectiveness, Role
from riskreg.forms import EnumSelectField, Form


class ItemForm(Form):
    text = StringField(_l("Text"), validators=[Length(max=300)])


class LinkForm(Form):
    """`line` is "cause-<id>", "consequence-<id>" or empty; a line given says the role too."""

    role = EnumSelectField(_l("Role on this risk"), Role, optional=True)
    line = SelectField(_l("Acts on"), choices=[], validate_choice=False)
    effectiveness = EnumSelectField(_l("Effectiveness for this risk"), Effectiveness, optional=True)

    def parsed_line(self) -> tuple[str | None, int | None]:
        value = (self.line.data or "").strip()
        kind, _, ident = value.partition("-")
        if not value:
            return None, None
        if kind not in ("cause", "consequence") or not ident.isdigit():
            raise ValueError(_l("Choose the line from the list."))
        return kind, int(ident)
