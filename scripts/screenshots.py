"""`make screenshots`: render every main page at 1366 px and 390 px into docs/screenshots/.

Builds a throw-away console (a temporary folder, its own SQLite database, the demo data of
scripts/demo_data.py), serves it on a free loopback port and opens each page in Debian's
chromium through Playwright, logged in as the role the page is for. Nothing outside the
temporary folder and docs/screenshots/ is written.

    .venv/bin/python scripts/screenshots.py [--out DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1366, 768), "phone": (390, 844)}
START = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def build_site(tmp: Path):
    """Settings, database and demo data of the throw-away console; returns the live server."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tempostar.settings_test",
        VAR_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        CELERY_BROKER_URL="memory://",
        # Playwright's sync API keeps an event loop in this thread; the ORM calls made here
        # between page loads are synchronous and safe.
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.test.testcases import LiveServerThread

    call_command("migrate", verbosity=0)
    from scripts.demo_data import main_pages, populate

    objects = populate()
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server, main_pages(objects)


def log_in(page, base: str, username: str) -> None:
    from scripts.demo_data import PASSWORD

    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def form_with_an_error(page, base: str, target: Path) -> None:
    """The shop form after a submit with an error: the typed secrets are kept (入力済み(未保存))
    and the cursor is in the first error."""
    page.goto(f"{base}/shops/new/rakuten/")
    page.locator("#id_name").fill("株式会社サバウェイ 楽天市場2号店")
    page.locator("#id_short_name").fill("サバウェイ楽天2")
    page.locator("#id_url").fill("https://www.rakuten.co.jp/savaway2/")
    page.locator("#id_ftp__port").fill("99999")
    page.locator("#id_ftp__password").fill("typed-before-the-error")
    page.locator("#id_rakuten_api__service_secret").fill("SP-typed-before-the-error")
    page.locator("#id_rakuten_api__license_key").fill("SL-typed-before-the-error")
    page.locator("form.shopform button.primary").click()
    page.wait_for_selector("#form-errors")
    page.screenshot(path=str(target), full_page=True)
    page.close()
    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--only", nargs="*", help="page names to render (default: all)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="tempostar-screenshots-"))
    # The same day on every run, so the dates in the pictures change only with the code.
    clock = time_machine.travel(START, tick=True)
    clock.start()
    try:
        server, pages = build_site(tmp)
        base = f"http://{server.host}:{server.port}"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            contexts = {}

            def context_for(user, label):
                if (user, label) not in contexts:
                    width, height = WIDTHS[label]
                    contexts[user, label] = browser.new_context(
                        locale="ja-JP", viewport={"width": width, "height": height}
                    )
                    if user:
                        log_in(contexts[user, label].new_page(), base, user)
                return contexts[user, label]

            for name, user, path in pages:
                if args.only and name not in args.only:
                    continue
                for label, (width, _height) in WIDTHS.items():
                    page = context_for(user, label).new_page()
                    page.goto(base + path)
                    target = out / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    page.close()
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
            if not args.only or "shop-form-error" in args.only:
                for label, (width, _height) in WIDTHS.items():
                    page = context_for("operator", label).new_page()
                    form_with_an_error(page, base, out / f"shop-form-error-{width}.png")
            browser.close()
        server.terminate()
    finally:
        clock.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
