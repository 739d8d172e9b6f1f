"""riskreg: an ASM risk register and mitigation tracker for large-scale mining companies."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from riskreg.config import ROOT, Config

logger = logging.getLogger(__name__)


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_relative_config=True,
    )
    from riskreg.templating import RiskregEnvironment

    app.jinja_environment = RiskregEnvironment  # before the environment is first made
    from riskreg.params import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    Config.from_environment(app.config, app.instance_path)
    if isinstance(config, dict):  # an explicit mapping (tests, scripts) beats the environment
        app.config.update(config)

    configure_proxies(app)
    register_extensions(app)
    from riskreg import observability

    observability.register(app)  # request ids, logs, metrics: its hooks first
    configure_sign_in(app)
    register_blueprints(app)
    register_template_helpers(app)
    from riskreg.assets import serve as assets

    assets.install(app)
    from riskreg.jobs import queue

    queue.init_app(app)

    from riskreg import cli, errors, mail, security  # noqa: F401  (mail: its after-commit hooks)

    errors.register(app)
    security.register(app)
    cli.register(app)
    return app


def configure_proxies(app: Flask) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address (the rate limits and the
    sign-in throttle count per address) and scheme (https: Secure cookies and HSTS) from the
    X-Forwarded-For and X-Forwarded-Proto headers those proxies set. The Host header is not taken
    from X-Forwarded-Host: the proxy passes the original one (nginx: proxy_set_header Host $host)."""
    count = app.config["PROXY_COUNT"]
    if count < 0:
        raise ValueError(f"RISKREG_PROXY_COUNT must be 0 or more, not {count}")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def configure_sign_in(app: Flask) -> None:
    """Refuse to start on a sign-in setting that is wrong, naming it (not at the first sign-in)."""
    from riskreg.auth import ldap, oidc, rolemap, twofactor
    from riskreg.extensions import db

    if app.config["REQUIRE_2FA_FOR"] not in twofactor.REQUIRE_CHOICES:
        raise ValueError(
            f"RISKREG_REQUIRE_2FA_FOR must be admin, local or empty, not {app.config['REQUIRE_2FA_FOR']!r}"
        )
    oidc.configure(app)
    ldap.configure(app)
    maps = [("RISKREG_OIDC_ROLE_MAP", oidc), ("RISKREG_LDAP_ROLE_MAP", ldap)]
    for setting, source in maps:
        if source.enabled(app):
            with app.app_context(), db.engine.connect() as connection:
                rolemap.check_departments(setting, source.grants_of(app), connection)


def register_extensions(app: Flask) -> None:
    from riskreg import models  # noqa: F401  (every table known before create_all / autogenerate)
    from riskreg.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    from riskreg.search.index import not_search_index  # the FTS5 table and GIN indexes: DDL of their own

    migrate.init_app(app, db, render_as_batch=True, compare_type=True, include_name=not_search_index)
    csrf.init_app(app)
    config = app.config
    config["RATELIMIT_STORAGE_URI"] = (
        config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
    )
    limiter.init_app(app)
    login_manager.init_app(app)
    from riskreg import i18n

    i18n.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


def configure_engine(engine: sa.Engine) -> None:
    """SQLite: a private file, foreign keys on, WAL, a busy timeout, and BEGIN IMMEDIATE for writers."""
    from riskreg.database import create_private_file, request_may_write

    if engine.dialect.name != "sqlite":
        return
    if engine.url.database not in (None, "", ":memory:"):
        create_private_file(engine.url.database)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Deferred transactions that later write can fail with SQLITE_BUSY under several workers;
        # IMMEDIATE takes the write lock up front and waits for busy_timeout instead. A writing
        # request's read-only stretch (sign-in before its password hash) takes no lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if request_may_write() else "BEGIN")


def register_blueprints(app: Flask) -> None:
    """Each feature's blueprint.py holds its URL map and imports its views (never the reverse)."""
    from riskreg.acceptances.blueprint import bp as acceptances_bp
    from riskreg.acceptances.blueprint import risk_bp as risk_acceptances_bp
    from riskreg.api.blueprint import bp as api_bp
    from riskreg.appetite.blueprint import bp as appetite_bp
    from riskreg.auth.blueprint import bp as auth_bp
    from riskreg.bowtie.blueprint import bp as bowtie_bp
    from riskreg.bulk.blueprint import bp as bulk_bp
    from riskreg.comments.blueprint import bp as comments_bp
    from riskreg.controls.blueprint import bp as controls_bp
    from riskreg.controls.blueprint import risk_bp as risk_controls_bp
    from riskreg.critical.blueprint import bp as critical_bp
    from riskreg.dashboard.blueprint import bp as dashboard_bp
    from riskreg.departments.blueprint import bp as departments_bp
    from riskreg.exports.blueprint import bp as exports_bp
    from riskreg.fieldforms.blueprint import bp as fieldforms_bp
    from riskreg.grievances.blueprint import bp as grievances_bp
    from riskreg.health.blueprint import bp as health_bp
    from riskreg.imports.blueprint import bp as imports_bp
    from riskreg.indicators.blueprint import bp as indicators_bp
    from riskreg.jobs.blueprint import bp as jobs_bp
    from riskreg.me.blueprint import bp as me_bp
    from riskreg.observability.blueprint import bp as observability_bp
    from riskreg.reports.blueprint import bp as reports_bp
    from riskreg.reviews.blueprint import bp as reviews_bp
    from riskreg.risks.blueprint import bp as risks_bp
    from riskreg.savedviews.blueprint import bp as savedviews_bp
    from riskreg.search.blueprint import bp as search_bp
    from riskreg.sites.blueprint import bp as sites_bp
    from riskreg.stakeholders.blueprint import bp as stakeholders_bp
    from riskreg.standards.blueprint import bp as standards_bp
    from riskreg.users.blueprint import bp as users_bp
    from riskreg.webhooks.blueprint import bp as webhooks_bp

    for blueprint in (
        auth_bp,
        health_bp,
        observability_bp,  # /metrics
        dashboard_bp,
        risks_bp,
        risk_controls_bp,  # /risks/<id>/controls/...
        bowtie_bp,  # /risks/<id>/bowtie, causes, consequences
        critical_bp,  # /controls/critical, a control's standard, schedule and verifications
        controls_bp,
        sites_bp,
        standards_bp,
        reports_bp,
        departments_bp,
        users_bp,
        exports_bp,
        imports_bp,
        fieldforms_bp,  # /sites/observation-form.xlsx, /sites/import-observations
        indicators_bp,
        reviews_bp,  # /risks/<id>/review
        bulk_bp,  # /risks/bulk, /controls/bulk
        me_bp,
        search_bp,
        savedviews_bp,
        acceptances_bp,
        risk_acceptances_bp,  # /risks/<id>/acceptance
        appetite_bp,
        grievances_bp,
        stakeholders_bp,
        api_bp,  # /api/v1: bearer tokens, JSON
        webhooks_bp,
        jobs_bp,  # /jobs: background jobs, their progress and files
        comments_bp,  # /risks/<id>/comments, /controls/<id>/comments, /comments/...
    ):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", endpoint="index", view_func=_index)
    app.add_url_rule("/favicon.ico", endpoint="favicon", view_func=_favicon)


def _favicon():
    """Browsers and feed readers ask for /favicon.ico whatever the page links: the same file."""
    from flask import current_app, send_from_directory

    return send_from_directory(current_app.static_folder, "img/favicon.ico", mimetype="image/x-icon")


def _index():
    """Every role lands on "My work"."""
    from flask import redirect, url_for

    return redirect(url_for("me.index"))


def register_template_helpers(app: Flask) -> None:
    from riskreg import fragments, labels, scoring, urls
    from riskreg.auth import permissions
    from riskreg.forms import iso_date_attributes

    @app.template_filter("audit_value")
    def _audit_value(value: Any, field: str | None = None, entity: str | None = None) -> str:
        """An audited value for people: em dash for nothing, the enum's label for a stored code."""
        return labels.label_of(value, field, entity)

    # macros imported without context see them too
    app.jinja_env.globals.update(
        band_badge=labels.band_badge, id_url=urls.id_url, query_url=urls.query_url, fixed_url=urls.fixed_url
    )
    app.jinja_env.globals.update(kept=fragments.kept, SLOT=fragments.SLOT)

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "matrix": scoring.matrix(),
            "iso_date": iso_date_attributes(),  # <input {{ iso_date }} name=...>: YYYY-MM-DD
            "has_endpoint": lambda name: name in app.view_functions,
            **permissions.template_helpers(),
        }
