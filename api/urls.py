from django.contrib.auth.decorators import login_not_required

from .api import api


def api_urls():
    """The API's URLs, outside the console's login: each operation checks its token."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns, app_name, namespace
