"""Settings: defaults in code, overrides from RISKREG_* environment variables (DESIGN.md §4)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from riskreg.i18n.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean variable strictly: a typo must not silently turn a safety off."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


class Config:
    SEEDS_DIR = ROOT / "seeds"
    MATRIX_FILE = ROOT / "seeds" / "matrix.toml"

    SQLALCHEMY_DATABASE_URI: str | None = None  # filled by from_environment(): SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

    # Sessions and cookies (notes/performance-and-security.md §7).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # RISKREG_SECURE_COOKIES=true behind TLS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    # Request bodies: the largest legitimate one is an evidence upload.
    MAX_CONTENT_LENGTH = 21 * 1024 * 1024
    EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
    IMPORT_MAX_BYTES = 10 * 1024 * 1024
    IMPORT_MAX_ROWS = 20_000
    # What openpyxl would build before the first row is read (imports/xmlcount.py); a register of
    # IMPORT_MAX_ROWS risks, saved by Excel, stays far below each.
    IMPORT_MAX_SHARED_STRINGS = 200_000
    IMPORT_MAX_STYLES = 5_000  # cell formats, fonts, fills, borders, number formats
    IMPORT_MAX_SHEET_CELLS = 1_000_000  # per sheet
    IMPORT_MAX_SHEET_ROWS = 100_000  # per sheet
    UPLOAD_DIR: str | None = None  # default: <instance>/uploads
    ASSETS_DIR: str | None = None  # `flask assets build` output; default <instance>/assets, "" = none
    # Where kept files live (riskreg/storage/): "local" (UPLOAD_DIR) or "database" (every host sees them).
    STORAGE = "local"
    # The language of a user without a setting of their own whose browser asks for none we have
    # (riskreg/i18n); RISKREG_DEFAULT_LOCALE, one of riskreg.i18n.LANGUAGES.
    DEFAULT_LOCALE = "en"

    PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"  # noqa: S105 (a hash method, not a password); OWASP minimum
    # Failed sign-ins slow down further attempts (auth/throttle.py); none locks an account.
    LOGIN_FREE_FAILURES = 5  # per account and source, before the first wait (2 s, then doubling)
    LOGIN_MAX_WAIT_SECONDS = 15 * 60
    LOGIN_ACCOUNT_FREE_FAILURES = 20  # per account, from every source together
    LOGIN_ACCOUNT_MAX_WAIT_SECONDS = 60  # short: many sources must not keep the real user out
    LOGIN_FAILURE_MEMORY_HOURS = 24
    # Where Flask-Limiter counts: RATELIMIT_STORAGE_URI if given, else REDIS_URL, else each
    # worker's own memory (resolved in create_app). Redis makes every worker and host count together.
    RATELIMIT_STORAGE_URI: str | None = None
    REDIS_URL: str | None = None
    # Reverse proxies in front of riskreg that set X-Forwarded-For and X-Forwarded-Proto (ProxyFix):
    # 0 trusts no such header; 1 for the usual nginx or load balancer in front of gunicorn.
    PROXY_COUNT = 0
    RATELIMIT_LOGIN = "20 per minute"
    # /metrics (README "Seeing it run"): a bearer token, or client addresses (CIDRs, comma-separated);
    # with neither, /metrics answers 404.
    METRICS_TOKEN = ""
    METRICS_ALLOW = ""
    # /healthz?ready waits this long for Redis (and each registered check) before calling it down.
    HEALTH_TIMEOUT = 2
    # Two-factor sign-in (auth/twofactor.py) required for "admin" (admins who sign in with a
    # password) or "local" (every local account); empty: offered to all, required of none.
    REQUIRE_2FA_FOR = ""
    # Company sign-in (README "Company sign-in"): OpenID Connect when OIDC_ISSUER is set, LDAP when
    # LDAP_URL is; each maps groups to roles (auth/rolemap.py). Checked when the app starts.
    OIDC_ISSUER = ""
    OIDC_CLIENT_ID = ""
    OIDC_CLIENT_SECRET = ""
    OIDC_PROVIDER_NAME = "your company account"
    OIDC_SCOPES = "openid email profile"
    OIDC_ROLE_CLAIM = "groups"  # Entra ID: "groups" (object ids) or "roles" (app roles); Okta: "groups"
    OIDC_ROLE_MAP = ""
    OIDC_TIMEOUT = 10  # seconds per request to the provider
    SIGN_IN_HELP = "Ask your riskreg administrator to give your account access."
    LDAP_URL = ""  # ldaps://dc1.corp.example:636, or ldap://... with LDAP_START_TLS
    LDAP_START_TLS = False
    LDAP_ALLOW_PLAIN = False  # plain ldap:// without TLS: test labs only
    LDAP_CA_FILE = ""  # the company CA that signed the directory's certificate (default: the system's)
    LDAP_BIND_DN = ""  # the service account that searches (empty: anonymous search)
    LDAP_BIND_PASSWORD = ""
    LDAP_USER_BASE = ""
    LDAP_USER_FILTER = "(uid={username})"  # Active Directory: (sAMAccountName={username})
    LDAP_EMAIL_ATTRIBUTE = "mail"
    LDAP_NAME_ATTRIBUTE = "cn"  # Active Directory: displayName
    LDAP_GROUP_ATTRIBUTE = "memberOf"
    LDAP_ROLE_MAP = ""
    LDAP_TIMEOUT = 5
    RATELIMIT_HEADERS_ENABLED = False
    # The REST API (/api/v1): requests per bearer token, and the largest JSON body it reads.
    API_RATELIMIT = "600 per minute"
    API_MAX_BODY = 64 * 1024
    WEBHOOK_TIMEOUT = 3  # seconds per delivery; one that fails is retried by `flask webhooks deliver`

    # Background jobs (riskreg/jobs, README "Background jobs"): Huey on REDIS_URL when set, else on
    # JOBS_QUEUE_FILE (default <instance>/jobs-queue.sqlite); JOBS_IMMEDIATE runs them in the request.
    JOBS_IMMEDIATE = False
    JOBS_QUEUE_FILE: str | None = None
    JOBS_QUEUE_NAME = "riskreg"
    JOBS_WORKERS = 2  # jobs a worker runs at once (threads)
    JOBS_STALE_SECONDS = 120  # a running job whose worker has not beaten for this long has failed
    JOBS_SCHEDULE = True  # the worker runs the reminders, refresh, mail retry and webhooks (no cron)
    JOBS_DAILY_HOUR = 5  # UTC hour of the daily reminders (:00) and indicators refresh (:30)
    JOBS_KEEP_DAYS = 30  # a finished job's row (its record on /jobs) is purged this long after it ended
    EXPORT_INLINE_MAX_RISKS = 5_000  # a larger /export.xlsx runs as a job with a progress page
    IMPORT_INLINE_MAX_ROWS = 2_000  # a confirmed import of more rows runs as a job

    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    MAIL_FROM = "riskreg@localhost"
    MAIL_TIMEOUT = 10  # seconds per SMTP conversation; an unsent mail stays queued for `flask mail retry`
    REMINDER_HORIZON_DAYS = 14
    BASE_URL = "http://127.0.0.1:5000"  # links in reminder mails (sent from the CLI, outside any request)

    # Risk acceptance: the longest an approval lasts, and how long before its expiry people are warned.
    ACCEPTANCE_MAX_MONTHS = 12
    ACCEPTANCE_WARN_DAYS = 30

    ASM_PRESENCE_WINDOW_DAYS = 180
    MONITORING_STALE_DAYS = 90
    # GRI MM8 asks for a stated definition of "adjacent": an observation marked adjacent, or one at a
    # distance of at most this many km from the site, counts as ASM adjacent to the site.
    ASM_ADJACENT_KM = 5.0
    # Lifecycle stages counted as "operating sites" by the ASM disclosure report (GRI MM8 / 14.13).
    DISCLOSURE_LIFECYCLES = ("operating",)
    SITE_TIMELINE_LIMIT = 200  # newest observations and engagements shown on a site's page
    PAGE_SIZE = 50
    # The grievance mechanism's deadlines (an admin setting "grievance_deadlines" overrides them) and
    # the severity (consequence level to people) from which a grievance flags its risks for review.
    GRIEVANCE_ACKNOWLEDGE_DAYS = 7
    GRIEVANCE_RESPOND_DAYS = 30
    GRIEVANCE_SEVERE_LEVEL = 4
    STAKEHOLDER_STALE_MONTHS = 6  # a stakeholder not engaged for this long is listed as such

    @classmethod
    def from_environment(cls, config: dict[str, Any], instance_path: str) -> None:
        """Apply RISKREG_* variables on top of the class defaults."""
        env = os.environ
        config["SQLALCHEMY_DATABASE_URI"] = env.get("RISKREG_DATABASE_URL") or config.get(
            "SQLALCHEMY_DATABASE_URI"
        )
        if not config["SQLALCHEMY_DATABASE_URI"]:
            private_folder(Path(instance_path))
            config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(instance_path) / "riskreg.sqlite")
        # Remembered: a key made per instance folder differs per host (riskreg/observability/hosts.py).
        config["SECRET_KEY_FROM_INSTANCE"] = not (env.get("RISKREG_SECRET_KEY") or config.get("SECRET_KEY"))
        config["SECRET_KEY"] = (
            env.get("RISKREG_SECRET_KEY") or config.get("SECRET_KEY") or instance_secret(instance_path)
        )
        config["UPLOAD_DIR"] = (
            env.get("RISKREG_UPLOAD_DIR") or config.get("UPLOAD_DIR") or str(Path(instance_path) / "uploads")
        )
        config["ASSETS_DIR"] = env.get("RISKREG_ASSETS_DIR") or (
            str(Path(instance_path) / "assets") if config.get("ASSETS_DIR") is None else config["ASSETS_DIR"]
        )
        config["STORAGE"] = env_choice("RISKREG_STORAGE", config["STORAGE"], ("local", "database"))
        config["DEFAULT_LOCALE"] = env_choice(
            "RISKREG_DEFAULT_LOCALE", config["DEFAULT_LOCALE"], tuple(LANGUAGES)
        )
        for key in (
            "SMTP_HOST",
            "SMTP_USER",
            "SMTP_PASSWORD",
            "MAIL_FROM",
            "RATELIMIT_STORAGE_URI",
            "REDIS_URL",
            "BASE_URL",
            "OIDC_ISSUER",
            "OIDC_CLIENT_ID",
            "OIDC_CLIENT_SECRET",
            "OIDC_PROVIDER_NAME",
            "OIDC_SCOPES",
            "OIDC_ROLE_CLAIM",
            "OIDC_ROLE_MAP",
            "SIGN_IN_HELP",
            "LDAP_URL",
            "LDAP_CA_FILE",
            "LDAP_BIND_DN",
            "LDAP_BIND_PASSWORD",
            "LDAP_USER_BASE",
            "LDAP_USER_FILTER",
            "LDAP_EMAIL_ATTRIBUTE",
            "LDAP_NAME_ATTRIBUTE",
            "LDAP_GROUP_ATTRIBUTE",
            "LDAP_ROLE_MAP",
            "API_RATELIMIT",
            "RATELIMIT_LOGIN",
            "METRICS_TOKEN",
            "METRICS_ALLOW",
            "JOBS_QUEUE_FILE",
            "JOBS_QUEUE_NAME",
        ):
            if env.get(f"RISKREG_{key}"):
                config[key] = env[f"RISKREG_{key}"]
        config["REQUIRE_2FA_FOR"] = env.get("RISKREG_REQUIRE_2FA_FOR", config["REQUIRE_2FA_FOR"]).strip()
        config["OIDC_TIMEOUT"] = env_int("RISKREG_OIDC_TIMEOUT", config["OIDC_TIMEOUT"])
        config["LDAP_TIMEOUT"] = env_int("RISKREG_LDAP_TIMEOUT", config["LDAP_TIMEOUT"])
        config["LDAP_START_TLS"] = env_bool("RISKREG_LDAP_START_TLS", config["LDAP_START_TLS"])
        config["LDAP_ALLOW_PLAIN"] = env_bool("RISKREG_LDAP_ALLOW_PLAIN", config["LDAP_ALLOW_PLAIN"])
        config["SMTP_PORT"] = env_int("RISKREG_SMTP_PORT", config["SMTP_PORT"])
        config["PROXY_COUNT"] = env_int("RISKREG_PROXY_COUNT", config["PROXY_COUNT"])
        config["MAIL_TIMEOUT"] = env_int("RISKREG_MAIL_TIMEOUT", config["MAIL_TIMEOUT"])
        config["WEBHOOK_TIMEOUT"] = env_int("RISKREG_WEBHOOK_TIMEOUT", config["WEBHOOK_TIMEOUT"])
        config["HEALTH_TIMEOUT"] = env_int("RISKREG_HEALTH_TIMEOUT", config["HEALTH_TIMEOUT"])
        config["SMTP_STARTTLS"] = env_bool("RISKREG_SMTP_STARTTLS", config["SMTP_STARTTLS"])
        config["REMINDER_HORIZON_DAYS"] = env_int(
            "RISKREG_REMINDER_HORIZON_DAYS", config["REMINDER_HORIZON_DAYS"]
        )
        for key in (
            "JOBS_WORKERS",
            "JOBS_STALE_SECONDS",
            "JOBS_DAILY_HOUR",
            "JOBS_KEEP_DAYS",
            "EXPORT_INLINE_MAX_RISKS",
            "IMPORT_INLINE_MAX_ROWS",
        ):
            config[key] = env_int(f"RISKREG_{key}", config[key])
        config["JOBS_SCHEDULE"] = env_bool("RISKREG_JOBS_SCHEDULE", config["JOBS_SCHEDULE"])
        for key in ("ACCEPTANCE_MAX_MONTHS", "ACCEPTANCE_WARN_DAYS"):
            config[key] = env_int(f"RISKREG_{key}", config[key])
        secure = env_bool("RISKREG_SECURE_COOKIES", config["SESSION_COOKIE_SECURE"])
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = secure
        config["EVIDENCE_MAX_BYTES"] = env_int("RISKREG_EVIDENCE_MAX_BYTES", config["EVIDENCE_MAX_BYTES"])
        for key in (
            "IMPORT_MAX_BYTES",
            "IMPORT_MAX_SHARED_STRINGS",
            "IMPORT_MAX_STYLES",
            "IMPORT_MAX_SHEET_CELLS",
            "IMPORT_MAX_SHEET_ROWS",
            "GRIEVANCE_ACKNOWLEDGE_DAYS",
            "GRIEVANCE_RESPOND_DAYS",
            "GRIEVANCE_SEVERE_LEVEL",
            "STAKEHOLDER_STALE_MONTHS",
        ):
            config[key] = env_int(f"RISKREG_{key}", config[key])
        config["MAX_CONTENT_LENGTH"] = (
            max(config["EVIDENCE_MAX_BYTES"], config["IMPORT_MAX_BYTES"]) + 1024 * 1024
        )


def instance_secret(instance_path: str) -> str:
    """Create the secret key once and keep it in the instance folder (never a constant in code)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_folder(path.parent)
    key = secrets.token_hex(32)
    # O_EXCL: when two workers start at once, the second reads what the first wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def private_folder(path: Path) -> None:
    """The instance folder (secret key, SQLite database) is created readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-only-" + secrets.token_hex(8)
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 (fast hashing for tests only)
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = False  # tests/test_csrf.py turns it back on
    ASSETS_DIR = ""  # Flask serves the assets; tests/test_assets.py builds its own
    JOBS_IMMEDIATE = True  # tests/test_jobs_worker.py runs real workers
