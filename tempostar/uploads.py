"""Uploads refused before their body is stored: the order and stock CSVs, the bulk shop file."""

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

# Room for the multipart framing and the CSRF field around a file of IMPORT_MAX_BYTES.
MULTIPART_OVERHEAD = 64 * 1024


class SizeLimitHandler(FileUploadHandler):
    """First of the request's upload handlers: stops reading the body once a file passes
    the limit, so what follows is never received nor stored (the handlers after it discard
    what they had)."""

    def __init__(self, request=None, limit=None):
        super().__init__(request)
        self.limit = settings.IMPORT_MAX_BYTES if limit is None else limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


class UploadLimitMixin:
    """Refuses an upload larger than max_bytes() (IMPORT_MAX_BYTES unless a view says
    otherwise) before its body is read: by the
    request's Content-Length, then (for what the header did not show) by SizeLimitHandler
    while the body streams. The CSRF check reads the body, so it runs after the handler is in
    place (csrf_exempt outside, csrf_protect inside, as Django's upload-handler docs show)."""

    @classmethod
    def as_view(cls, **initkwargs):
        # CsrfViewMiddleware would read the body before the view could limit it.
        return csrf_exempt(super().as_view(**initkwargs))

    def max_bytes(self) -> int:
        return settings.IMPORT_MAX_BYTES

    def dispatch(self, request, *args, **kwargs):
        self.size_limit = SizeLimitHandler(request, self.max_bytes())
        if request.method == "POST":
            if not self.has_permission():
                return self.handle_no_permission()
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > self.max_bytes() + MULTIPART_OVERHEAD:
                return self.too_large(kwargs)
            request.upload_handlers.insert(0, self.size_limit)
        response = csrf_protect(super().dispatch)(request, *args, **kwargs)
        if self.size_limit.exceeded and response.status_code != 403:
            return self.too_large(kwargs)
        return response

    def too_large(self, kwargs):
        messages.error(
            self.request,
            _(
                "The file is too large: the limit is %(limit)s bytes. Nothing was imported; "
                "split the file and import the parts."
            )
            % {"limit": f"{self.max_bytes():,}"},
        )
        return redirect(self.after_refusal(kwargs))


class ApiUploadLimitMiddleware:
    """The REST API's uploads (an order CSV) are refused before their body is stored, as the
    pages' are: by Content-Length, then by SizeLimitHandler while the body streams. The answer
    is 413 with a JSON message in the API's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not (
            request.path_info.startswith("/api/")
            and request.method == "POST"
            and request.content_type == "multipart/form-data"
        ):
            return self.get_response(request)
        limit = settings.IMPORT_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + MULTIPART_OVERHEAD:
            return self.too_large(limit)
        handler = SizeLimitHandler(request, limit)
        request.upload_handlers.insert(0, handler)
        response = self.get_response(request)
        return self.too_large(limit) if handler.exceeded else response

    @staticmethod
    def too_large(limit):
        from django.http import JsonResponse

        message = _(
            "The file is too large: the limit is %(limit)s bytes. Nothing was imported; "
            "split the file and import the parts."
        ) % {"limit": f"{limit:,}"}
        return JsonResponse({"detail": message}, status=413)
