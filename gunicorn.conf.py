"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Each value can be overridden with the usual GUNICORN_CMD_ARGS or command-line flags.
"""

import multiprocessing
import os
import shutil
import tempfile

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
# riskreg writes one line per request itself (method, path, status, duration, user, request id; JSON
# with RISKREG_LOG_FORMAT=json) on standard output, so gunicorn's own access log is off unless asked
# for with --access-logfile.
accesslog = None
os.environ.setdefault("RISKREG_LOG_STREAM", "stdout")
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("RISKREG_FORWARDED_ALLOW_IPS", "127.0.0.1")

# /metrics adds up every worker's counts from files in PROMETHEUS_MULTIPROC_DIR (prometheus_client's
# multi-process mode). It must be set before a worker imports the app, and emptied at each start.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="riskreg-metrics-")
_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    """The counts of a previous run are not this run's."""
    os.makedirs(_metrics_dir, mode=0o700, exist_ok=True)
    for name in os.listdir(_metrics_dir):
        if name.endswith(".db"):
            os.remove(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    """A recycled or killed worker's gauges stop counting; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _metrics_dir.startswith(os.path.join(tempfile.gettempdir(), "riskreg-metrics-")):
        shutil.rmtree(_metrics_dir, ignore_errors=True)
