"""riskreg.templating.RiskregEnvironment: a template without globals of its own reads the
environment's dict (no ChainMap copied key by key on every render, include and import), and still
sees a global added later; globals given to one template stay that template's."""

from __future__ import annotations

from riskreg.templating import RiskregEnvironment


def test_the_apps_environment_gives_templates_its_own_globals_dict(app):
    env = app.jinja_env
    assert isinstance(env, RiskregEnvironment)
    template = env.get_template("base.html")
    assert template.globals is env.globals  # not a ChainMap around it
    assert type(env.from_string("{{ 1 }}").globals) is dict


def test_a_global_added_later_is_seen_and_a_templates_own_globals_stay_its_own(app):
    env = app.jinja_env
    page = env.from_string('{% from "_macros/forms.html" import placed_flashes %}{{ riskreg_test_global }}')
    env.globals["riskreg_test_global"] = "added later"
    try:
        with app.test_request_context("/"):
            assert page.render() == "added later"
            own = env.from_string("{{ riskreg_private }}", globals={"riskreg_private": "mine"})
            assert own.render() == "mine"
            assert "riskreg_private" not in env.globals
            assert env.from_string("{{ riskreg_private is defined }}").render() == "False"
    finally:
        del env.globals["riskreg_test_global"]
