"""gunicorn settings: each worker warms its search caches before it takes requests."""


def post_worker_init(worker):
    from decisions import search

    search.warm()
