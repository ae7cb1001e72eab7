import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from shops.models import Shop

PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_user(django_user_model):
    def make(username, *perms, superuser=False):
        user = django_user_model.objects.create_user(
            username=username, password=PASSWORD, is_staff=superuser, is_superuser=superuser
        )
        if perms:
            user.user_permissions.set(
                Permission.objects.filter(
                    content_type__app_label__in=["shops", "orders"], codename__in=perms
                )
            )
        return user

    return make


def with_role(user, role):
    from tempostar.roles import assign_role

    assign_role(user, role)
    return user


@pytest.fixture
def viewer(make_user):
    return with_role(make_user("viewer"), "閲覧者")


@pytest.fixture
def operator(make_user):
    return with_role(make_user("operator"), "オペレーター")


@pytest.fixture
def manager(make_user):
    """A user with the 管理者 role (not a superuser)."""
    return with_role(make_user("manager"), "管理者")


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", superuser=True)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def make_shop(db):
    def make(mall="rakuten", **fields):
        defaults = {
            "name": "株式会社サバウェイ 本店",
            "short_name": "サバウェイ楽天",
            "url": "https://www.rakuten.co.jp/savaway/",
        }
        defaults.update(fields)
        return Shop.objects.create(mall=mall, **defaults)

    return make


# ---- browser tests: one chromium for the whole session ---------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    # Browser tests run last: Playwright keeps an event loop in the main thread while the
    # browser is open, and no other test should run beside it.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, started once and shared by every browser test."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run does")
    # The ORM calls a test makes between page loads are synchronous and safe, though
    # Playwright's event loop is running in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(browser, request, settings):
    """new_page(width=1366, height=768): a page in a fresh browser context (its own cookies).

    Every page is served with a Content-Security-Policy: anything the browser blocked (an
    inline script or handler, a foreign style) fails the test."""
    contexts, violations = [], []

    def make(width=1366, height=768):
        context = browser.new_context(locale="ja-JP", viewport={"width": width, "height": height})
        context.set_default_timeout(15_000)
        context.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "rep_call", None)
    for i, context in enumerate(contexts):
        if failed is not None and failed.failed and context.pages:
            path = settings.VAR_DIR / f"browser-{request.node.name}-{i}.png"
            context.pages[-1].screenshot(path=str(path), full_page=True)
        context.close()
    assert violations == []


@pytest.fixture
def page(new_page):
    return new_page()


# A mall's local provider, used by the expiry and sign-in tests too.
from tests.connectors.test_yahoo_shopping import yahoo_provider  # noqa: E402, F401


@pytest.fixture
def no_remembered_secrets():
    """Each test masks only what it remembers itself (the suite runs in one thread)."""
    from tempostar.security import forget_secrets

    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture
def private_var_dir(settings, tmp_path):
    """A VAR_DIR of this test's own: tests that count the files under VAR_DIR/imports see only
    theirs, whatever ran before."""
    settings.VAR_DIR = tmp_path
    (tmp_path / "imports").mkdir()
    return tmp_path
