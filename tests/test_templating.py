"""riskreg.templating: `{{ value }}` is written as escaped text, not a new Markup, calls are made
without Jinja's questions where a function asks for nothing, and every page reads exactly as Jinja's
own code and context would have written it."""

from __future__ import annotations

import pytest
from flask_babel import lazy_gettext
from jinja2 import DictLoader, Environment, pass_context, pass_environment, pass_eval_context
from markupsafe import Markup, escape

from riskreg.templating import OutputCodeGenerator, RenderContext, escaped_text

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
{% for n in [1, 2] %}{% set inner = n * 10 %}{{ sees_loop() }} {{ cell(n) }} {{ plain(n, k=inner) }}
{% endfor %}
{{ plain(hostile) }} {{ escaping() }} {{ environment_name() }} {{ instance() }} {{ instance.method(3) }}
{{ stops() is undefined }} {{ cell("x") }}
{{ table.key }} {{ table.items is callable }} {{ table.no is undefined }} {{ instance.no is undefined }}
{{ tick().n }} {{ tick().n }} {{ tick().twice.n }} {{ raising.value }} {{ loop_free.a.b.c }} {{ ticks.n }}
{% endblock %}""",
}


class Called:
    """A callable object asking for the template's context through its __call__."""

    @pass_context
    def __call__(self, context):
        return f"called with {context.get('number')}"

    def method(self, n):
        return n * 2


def stops():
    raise StopIteration


class Raising(dict):
    """A property that raises AttributeError: Jinja then reads the item of that name."""

    @property
    def value(self):
        raise AttributeError("value")


class Ticks:
    """Counts its calls: an attribute read evaluates its object once."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> Ticks:
        self.n += 1
        return self

    @property
    def twice(self) -> Ticks:
        return self


CALLABLES = {
    "plain": lambda *args, **kwargs: f"{args}{sorted(kwargs.items())}",
    "sees_loop": pass_context(lambda context: f"inner={context.get('inner')} n={context.get('n')}"),
    "escaping": pass_eval_context(lambda eval_ctx: f"autoescape={eval_ctx.autoescape}"),
    "environment_name": pass_environment(lambda environment: type(environment).__name__),
    "instance": Called(),
    "stops": stops,
}


def render(app, riskregs: bool) -> tuple[str, str]:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    ticks = Ticks()
    env.globals.update(CALLABLES, tick=ticks, ticks=ticks)
    if riskregs:
        env.code_generator_class = OutputCodeGenerator
        env.context_class = RenderContext
    source = env.loader.get_source(env, "page.html")[0]
    context = {
        "hostile": HOSTILE,
        "markup": Markup("<b>bold</b>"),
        "number": 42,
        "nothing": None,
        "shown": Shown(),
        "lazy": lazy_gettext("Risk register"),
        "table": {"key": "<item>", "items": "an item, not the method"},
        "raising": Raising(value="from the item"),
        "loop_free": {"a": {"b": {"c": "deep"}}},
    }
    with app.test_request_context():
        return env.get_template("page.html").render(context), env.compile(source, raw=True)


def test_every_kind_of_output_reads_as_jinja_would_write_it(app):
    page, code = render(app, True)
    jinjas, stock_code = render(app, False)
    assert "escaped_text(" in code and "escaped_text(" not in stock_code
    assert page == jinjas
    assert "&lt;script&gt;" in page and "<script>" not in page and "<b>bold</b>" in page
    # what each kind of callable was given, through RenderContext as through Jinja's own
    assert "inner=10 n=None" in page and "inner=20 n=None" in page  # a set in a loop, to pass_context
    assert "autoescape=True" in page and "Environment" in page and "called with 42" in page
    assert "(1,)[(&#39;k&#39;, 10)]" in page and " 6" in page and "True" in page
    # attributes: the item when there is no attribute, Undefined when neither, one evaluation each
    assert "&lt;item&gt; True True True" in page  # the attribute first: the method, not the item
    assert "1 2 3 from the item deep 3" in page


def test_a_function_asking_for_nothing_is_called_without_jinjas_questions(app, monkeypatch):
    """RenderContext calls such a callable itself; Jinja's own Context.call is left to the rest."""
    from jinja2.runtime import Context

    asked = []
    own_call = Context.call
    monkeypatch.setattr(Context, "call", lambda *a, **k: asked.append(a[1]) or own_call(*a, **k))
    env = Environment(autoescape=True)
    env.context_class = RenderContext
    env.globals.update(CALLABLES)
    page = env.from_string(
        "{{ plain(1) }}{% for n in [1] %}{{ plain(n) }}{{ escaping() }}{{ sees_loop() }}{% endfor %}"
    ).render()
    assert page == "(1,)[](1,)[]autoescape=Trueinner=None n=None"  # as Jinja: a loop target is not passed
    assert asked == [CALLABLES["sees_loop"]]  # only what wants the template's context


def test_the_application_compiles_and_runs_its_templates_with_them(app):
    env = app.jinja_env
    code = env.compile(env.loader.get_source(env, "risks/list.html")[0], raw=True)
    assert "escaped_text(" in code and "getattr((_attr_owner := " in code
    assert type(env.get_template("risks/list.html").new_context()) is RenderContext
    compiled = [env.get_template(name) for name in env.list_templates() if not name.startswith(".")]
    assert len(compiled) > 100  # every template compiles with them (the generated Python is valid)
