"""gunicorn settings for production (`Procfile` web). Each can be overridden by environment."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Requests mostly wait on the database: a few processes with a few threads each.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = int(os.environ.get("WEB_TIMEOUT", 60))
graceful_timeout = 30
# Uploads of large CSV files go to the worker; keep slow clients from holding a process.
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Only the reverse proxy in front may set X-Forwarded-* headers (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
