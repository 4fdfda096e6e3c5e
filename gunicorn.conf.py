"""gunicorn settings: each worker warms up before it takes requests."""

import io
import os

# Warm-up reads the most common words' postings (tens of seconds on a large index): give a
# worker time to finish it before the arbiter counts it as hung.
timeout = 120
# gevent: each connection is a greenlet, so clients that send their requests slowly (20 of them,
# a byte every half second, filled the 8 threads of two gthread workers) cost almost nothing while
# the workers answer everyone else. In production nginx in front reads requests in full anyway
# (scripts/serve-production, deploy/nginx.conf).
worker_class = "gevent"
worker_connections = 1000
# Recycle a worker after about 2,000 requests (jittered so they do not all restart at once), so
# one that grew on an unusual request gives its memory back.
max_requests = 2000
max_requests_jitter = 200


def post_request(worker, req, environ, resp):
    """Keep the worker's resident memory within SEARCH_WORKER_RSS_MB (decisions.search says how)."""
    from django.conf import settings

    from decisions import search

    search.keep_within_memory(settings.SEARCH_WORKER_RSS_MB)


def post_worker_init(worker):
    """Fill the search caches, then serve one search page internally, so templates, URLs and the
    database connection are ready too: a new worker's first visitor waits no longer than the next."""
    from decisions import search

    search.backend().warm()
    host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip() or "localhost"
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "q=pain",
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for _ in worker.wsgi(environ, lambda status, headers, exc_info=None: None):
        pass
