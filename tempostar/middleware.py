import time


class JapaneseByDefaultMiddleware:
    """The UI is Japanese unless the user picks another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language header; our users
    work in Japanese whatever their browser says, so only the language cookie (set by the
    switch in the header) or the URL can change it. Place it before LocaleMiddleware.
    The REST API (/api/) is the exception: a script asks for English with Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class IdleSessionMiddleware:
    """Sessions end after SESSION_COOKIE_AGE seconds without a request.

    Instead of writing the session on every request (SESSION_SAVE_EVERY_REQUEST, one write
    transaction per page), a signed-in session is touched at most once a minute, which pushes
    its expiry forward; the idle limit is therefore exact to within a minute. Place it after
    SessionMiddleware.
    """

    REFRESH_EVERY = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            if now - session.get("_touched", 0) >= self.REFRESH_EVERY:
                session["_touched"] = now  # modified: SessionMiddleware saves a new expiry
        return response
