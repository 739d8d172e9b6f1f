"""riskreg.templating: `{{ value }}` is written as escaped text, not a new Markup, and every page
reads exactly as Jinja's own code would have written it."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext
from jinja2 import DictLoader, Environment
from markupsafe import Markup, escape

from riskreg.templating import OutputCodeGenerator, escaped_text

HOSTILE = "<script>alert('x')</script> & \"quotes\""


class Shown:
    """Something with its own HTML, as a WTForms field or a lazy message has."""

    def __html__(self) -> str:
        return "<em>own</em>"


@pytest.mark.parametrize(
    "value", [HOSTILE, Markup("<b>kept</b>"), 12, 3.5, None, True, Shown(), type("S", (str,), {})("<i>")]
)
def test_escaped_text_is_escape_as_text(value):
    assert escaped_text(value) == str(escape(value))
    assert type(escaped_text(value)) is not Markup or hasattr(value, "__html__")


# Every place Jinja writes an output: the page, a block and super(), a macro and caller(), {% set %}
# and {% filter %} buffers, ~ and the |e filter, an include, and a volatile {% autoescape %}.
TEMPLATES = {
    "base.html": "<title>{% block title %}{{ hostile }}{% endblock %}</title>{% block body %}{% endblock %}",
    "part.html": "<p>{{ hostile }} {{ number }}</p>",
    "page.html": """{% extends "base.html" %}
{% block title %}{{ super() }} · {{ markup }}{% endblock %}
{% macro cell(value) %}<td>{{ value }}{{ caller() if caller }}</td>{% endmacro %}
{% block body %}
{% set held %}<span>{{ hostile }}</span>{% endset %}{{ held }}
{% filter upper %}{{ hostile }}{% endfilter %}
{{ cell(hostile) }}{% call cell(markup) %}{{ hostile }}{% endcall %}
{{ hostile ~ markup }} {{ hostile|e }} {{ shown }} {{ number }} {{ nothing }} {{ lazy }}
{% include "part.html" %}
{% autoescape false %}{{ markup }}{% endautoescape %}{% autoescape true %}{{ hostile }}{% endautoescape %}
{% for item in [hostile, markup, number] %}<li>{{ loop.index }} {{ item }}</li>{% endfor %}
{% endblock %}""",
}


def render(app, generator: type | None) -> tuple[str, str]:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    if generator is not None:
        env.code_generator_class = generator
    source = env.loader.get_source(env, "page.html")[0]
    context = {
        "hostile": HOSTILE,
        "markup": Markup("<b>bold</b>"),
        "number": 42,
        "nothing": None,
        "shown": Shown(),
        "lazy": lazy_gettext("Risk register"),
    }
    with app.test_request_context():
        return env.get_template("page.html").render(context), env.compile(source, raw=True)


def test_every_kind_of_output_reads_as_jinja_would_write_it(app):
    page, code = render(app, OutputCodeGenerator)
    jinjas, stock_code = render(app, None)
    assert "escaped_text(" in code and "escaped_text(" not in stock_code
    assert page == jinjas
    assert "&lt;script&gt;" in page and "<script>" not in page and "<b>bold</b>" in page


def test_the_application_compiles_its_templates_with_it(app):
    env = app.jinja_env
    code = env.compile(env.loader.get_source(env, "risks/list.html")[0], raw=True)
    assert "escaped_text(" in code
