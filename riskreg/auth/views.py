"""/login and /logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from riskreg.auth import services
from riskreg.auth.forms import LoginForm
from riskreg.auth.models import User
from riskreg.extensions import db, limiter, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie holds "<id>:<session token>"; a rotated token signs old cookies out."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def safe_next(target: str | None) -> str:
    if not target or urlsplit(target).netloc or urlsplit(target).scheme or not target.startswith("/"):
        return url_for("index")
    if target.startswith("//") or "\\" in target:
        return url_for("index")
    return target


@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Sign in; one message for every failure so accounts cannot be enumerated."""
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # remote_addr is the client's own address behind RISKREG_PROXY_COUNT proxies (ProxyFix)
        outcome = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if outcome.user is not None:
            session.clear()  # a new session on sign-in (no fixation)
            session.permanent = True
            login_user(outcome.user)
        db.session.commit()  # the failure count, or the sign-in time
        if outcome.user is not None:
            return redirect(safe_next(form.next.data))
        form.password.errors.append("Invalid email or password.")
        if outcome.wait_seconds:
            form.password.errors.append(
                f"Too many attempts: try again in {wait_words(outcome.wait_seconds)}."
            )
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(outcome.wait_seconds)}
    return render_template("auth/login.html", form=form)


def wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


@login_required
def logout():
    current_user.rotate_session_token()  # copies of the old cookie stop working
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
