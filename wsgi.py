"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""

from riskreg import create_app

app = create_app()
