"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Each value can be overridden with the usual GUNICORN_CMD_ARGS or command-line flags.
"""

import multiprocessing
import os

bind = os.environ.get("RISKREG_BIND", "127.0.0.1:8000")
# Sync workers: the app is I/O-light and CPU-bound on templates; 2 x cores + 1 is gunicorn's advice.
workers = int(os.environ.get("RISKREG_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A full Excel export of a large register takes tens of seconds: more than gunicorn's default 30 s.
timeout = int(os.environ.get("RISKREG_WORKER_TIMEOUT", 180))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("RISKREG_FORWARDED_ALLOW_IPS", "127.0.0.1")
