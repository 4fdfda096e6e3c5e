"""Request guards and timing: upload bodies checked before they are read; Server-Timing on every
response; a sentence, not an error page, while the index cannot be read."""

import time

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from decisions.search import IndexUnavailable

BODY_SLACK_BYTES = 1024 * 1024  # multipart headers and form fields around the files
FORM_BYTES = 64 * 1024  # more than any form without files sends


class ServerTimingMiddleware:
    """Report how long the server spent on each response (shown by browser dev tools)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


class UploadGuardMiddleware:
    """Refuse a request body before anything reads it: one larger than any upload may be, or files
    sent by someone who may not upload (Django would spool them to disk before CSRF said no)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest(
                "The Content-Length header is not a number.", content_type="text/plain"
            )
        if length > settings.IMR_MAX_ZIP_UPLOAD_BYTES + BODY_SLACK_BYTES:
            return HttpResponse(
                f"The request holds {filesizeformat(length)}; uploads are limited to "
                f"{filesizeformat(settings.IMR_MAX_ZIP_UPLOAD_BYTES)}.",
                status=413,
                content_type="text/plain",
            )
        sends_files = request.META.get("CONTENT_TYPE", "").startswith("multipart/") and length > FORM_BYTES
        if sends_files and not (request.user.is_authenticated and request.user.is_staff):
            return HttpResponseForbidden("Only staff may upload files.", content_type="text/plain")
        return self.get_response(request)


class IndexUnavailableMiddleware:
    """A page that needs the index while no part of it can be read says so (503, to come back),
    whichever view asked: the worker is mending or rebuilding it meanwhile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, IndexUnavailable):
            return None
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": f"Search: {exception}."}, status=503)
        else:
            response = render(request, "decisions/unavailable.html", {"reason": str(exception)}, status=503)
        response["Retry-After"] = "60"
        return response
