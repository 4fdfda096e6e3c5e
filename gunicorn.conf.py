"""gunicorn settings: each worker warms up before it takes requests."""
import io
import os

# Warm-up reads the most common words' postings (tens of seconds on a large index): give a
# worker time to finish it before the arbiter counts it as hung.
timeout = 120


def post_worker_init(worker):
    """Fill the search caches, then serve one search page internally, so templates, URLs and the
    database connection are ready too: a new worker's first visitor waits no longer than the next."""
    from decisions import search

    search.backend().warm()
    host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip() or "localhost"
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "q=pain", "SERVER_NAME": host,
               "SERVER_PORT": "80", "HTTP_HOST": host, "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(),
               "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0), "wsgi.multithread": False,
               "wsgi.multiprocess": True, "wsgi.run_once": False}
    for _ in worker.wsgi(environ, lambda status, headers, exc_info=None: None):
        pass
