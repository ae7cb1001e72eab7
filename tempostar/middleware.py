class JapaneseByDefaultMiddleware:
    """The UI is Japanese unless the user picks another language with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language header; our users
    work in Japanese whatever their browser says, so only the language cookie (set by the
    switch in the header) or the URL can change it. Place it before LocaleMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
