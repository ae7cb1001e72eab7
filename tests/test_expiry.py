"""Credential expiry: tracking, OAuth sign-in, and reminder e-mails sent exactly once."""

import threading
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from shops.checks import refresh_due_tokens
from shops.expiry import sync_expiries
from shops.models import CredentialExpiry, ReminderClaim, Shop
from shops.reminders import run
from tests.mall_data import MALLS, post_data
from tests.servers import free_port

JST = ZoneInfo("Asia/Tokyo")
pytestmark = pytest.mark.django_db


def at(day, hour=9):
    """A frozen clock at 2026-mm-dd hh:00 JST."""
    return time_machine.travel(datetime(*day, hour, 0, tzinfo=JST), tick=False)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"

    def subjects(self):
        import email
        from email.header import decode_header, make_header

        return [
            str(make_header(decode_header(email.message_from_bytes(m.content)["Subject"])))
            for m in self.messages
        ]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    settings.REMINDER_STAFF_EMAILS = ["staff@tempostar.example.jp"]
    inbox.controller = controller

    def restart():
        inbox.controller = Controller(inbox, hostname="127.0.0.1", port=port)
        inbox.controller.start()

    inbox.restart = restart
    yield inbox
    try:
        inbox.controller.stop()
    except (AssertionError, RuntimeError):
        pass


def au_shop(issued_on, notify="tenchou@savaway.example.jp"):
    shop = Shop(
        mall="au_pay_market",
        name="サバウェイ au",
        short_name="サバウェイau",
        url="http://www.dena-ec.com/user/1234567",
        notify_emails=notify,
    )
    shop.settings = {"wowma_api.shop_id": "1234567", "wowma_api.api_key_issued_on": issued_on}
    shop.set_secrets({"wowma_api.api_key": "au-api-key-expiring-01"})
    shop.save()
    sync_expiries(shop)
    return shop


# ---- tracking -----------------------------------------------------------------------------


def expiry_of(shop, section, credential):
    row = CredentialExpiry.objects.get(shop=shop, section=section, credential=credential)
    return row.expires_at.astimezone(JST), row.source


def test_rakuten_license_key_90_days_from_the_day_it_is_entered(admin_client):
    with at((2026, 11, 26)):
        response = admin_client.post(
            reverse("shops:create", args=["rakuten"]), post_data(MALLS["rakuten"])
        )
        assert response.status_code == 302
    shop = Shop.objects.get()
    assert shop.settings["rakuten_api.license_issued_on"] == "2026-11-26"
    expires, source = expiry_of(shop, "rakuten_api", "license_key")
    # Works through the 90th day after issue (2027-02-24), as RMS reports it.
    assert (expires, source) == (datetime(2027, 2, 25, tzinfo=JST), "entered")


def test_entered_issue_date_corrects_and_fetched_date_wins(admin_client, admin_user):
    with at((2026, 11, 26)):
        admin_client.post(
            reverse("shops:create", args=["rakuten"]),
            post_data(MALLS["rakuten"], **{"rakuten_api.license_issued_on": "2026-10-01"}),
        )
    shop = Shop.objects.get()
    assert expiry_of(shop, "rakuten_api", "license_key")[0] == datetime(2026, 12, 31, tzinfo=JST)
    shop.settings = {**shop.settings, "rakuten_api.license_expires_on": "2027-03-15"}
    shop.save()
    sync_expiries(shop)
    assert expiry_of(shop, "rakuten_api", "license_key") == (
        datetime(2027, 3, 16, tzinfo=JST),
        "fetched",
    )  # valid through 2027-03-15
    # A new licenseKey forgets the date fetched for the old one.
    with at((2026, 12, 1)):
        admin_client.force_login(admin_user)
        admin_client.post(
            reverse("shops:edit", args=[shop.code]),
            post_data(
                MALLS["rakuten"],
                **{
                    "rakuten_api.license_key": "SL-new-license-key-2",
                    "rakuten_api.service_secret": "",
                },
            ),
        )
    shop.refresh_from_db()
    assert "rakuten_api.license_expires_on" not in shop.settings
    assert expiry_of(shop, "rakuten_api", "license_key")[0] == datetime(2027, 3, 2, tzinfo=JST)


def test_yahoo_grant_lasts_28_days_with_public_key_and_12_hours_without():
    shop = Shop(
        mall="yahoo_shopping",
        name="Y",
        short_name="Y",
        url="https://store.shopping.yahoo.co.jp/savaway/",
    )
    shop.settings = {"yahoo_api.authorized_at": "2026-11-26T09:00:00+09:00"}
    shop.set_secrets({"yahoo_api.refresh_token": "yahoo-refresh-1"})
    shop.save()
    sync_expiries(shop)
    assert expiry_of(shop, "yahoo_api", "refresh_token")[0] == datetime(
        2026, 11, 26, 21, tzinfo=JST
    )
    shop.settings = {
        **shop.settings,
        "yahoo_api.public_key": MALLS["yahoo_shopping"]["yahoo_api.public_key"],
        "yahoo_api.public_key_version": 3,
        "yahoo_api.public_key_issued_on": "2026-06-01",
    }
    shop.save()
    sync_expiries(shop)
    assert expiry_of(shop, "yahoo_api", "refresh_token")[0] == datetime(2026, 12, 24, 9, tzinfo=JST)
    assert expiry_of(shop, "yahoo_api", "public_key")[0] == datetime(2027, 6, 1, tzinfo=JST)


@pytest.mark.parametrize(
    ("mall", "section", "settings_values", "secret", "expected"),
    [
        (
            "au_pay_market",
            "wowma_api",
            {"wowma_api.api_key_issued_on": "2026-11-26"},
            {"wowma_api.api_key": "k"},
            datetime(2027, 2, 24, tzinfo=JST),
        ),
        (
            "amazon",
            "sp_api",
            {"sp_api.authorized_at": "2026-11-26T09:00:00+09:00"},
            {"sp_api.refresh_token": "Atzr|x"},
            datetime(2027, 11, 26, 9, tzinfo=JST),
        ),
        (
            "qoo10",
            "qoo10_api",
            {"qoo10_api.seller_key_issued_at": "2026-11-26T09:00:00+09:00"},
            {"qoo10_api.seller_key": "sak"},
            datetime(2027, 11, 26, 9, tzinfo=JST),
        ),
        (
            "ebay",
            "ebay_api",
            {"ebay_api.authorized_at": "2026-11-26T09:00:00+09:00"},
            {"ebay_api.refresh_token": "v^1.1#r"},
            datetime(2028, 5, 27, 9, tzinfo=JST),
        ),
        (
            "yahoo_auction",
            "image_api",
            {"image_api.authorized_at": "2026-11-26T09:00:00+09:00"},
            {"image_api.refresh_token": "y"},
            datetime(2026, 12, 24, 9, tzinfo=JST),
        ),
    ],
)
def test_every_expiring_credential_is_tracked(mall, section, settings_values, secret, expected):
    shop = Shop(mall=mall, name="x", short_name="x", url="https://example.jp/")
    shop.settings = settings_values
    shop.set_secrets(secret)
    shop.save()
    sync_expiries(shop)
    credential = next(iter(secret)).split(".")[1]
    assert expiry_of(shop, section, credential)[0] == expected
    shop.set_secrets({})  # the credential is gone: so is its tracking
    shop.save()
    sync_expiries(shop)
    assert not CredentialExpiry.objects.filter(shop=shop).exists()


def test_colorme_tokens_do_not_expire():
    shop = Shop(mall="colorme", name="c", short_name="c", url="https://x.shop-pro.jp/")
    shop.settings = {"colorme_api.authorized_at": "2026-11-26T09:00:00+09:00"}
    shop.set_secrets({"colorme_api.access_token": "t"})
    shop.save()
    sync_expiries(shop)
    assert not CredentialExpiry.objects.exists()


# ---- reminders ----------------------------------------------------------------------------


def test_a_credential_walks_through_every_threshold_once(smtp):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")  # expires 2027-02-24 00:00: last valid day 2027-02-23
    sent_on = {}
    day = datetime(2027, 1, 20, 9, tzinfo=JST)
    while day < datetime(2027, 3, 1, tzinfo=JST):
        with time_machine.travel(day, tick=False):
            before = len(smtp.messages)
            run()
            run()  # a second run the same day sends nothing more
            if len(smtp.messages) > before:
                assert len(smtp.messages) == before + 1
                sent_on[day.date().isoformat()] = smtp.subjects()[-1]
        day += timedelta(days=1)
    assert list(sent_on) == [
        "2027-01-24",
        "2027-02-09",
        "2027-02-16",
        "2027-02-20",
        "2027-02-22",
        "2027-02-23",
        "2027-02-24",
    ]
    assert "30日以内" in sent_on["2027-01-24"]
    assert "連携停止" in sent_on["2027-02-24"]
    assert shop.code in sent_on["2027-01-24"]


def test_the_mail_names_everything_an_operator_needs(smtp):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")
    with at((2027, 2, 16)):
        run()
    message = smtp.messages[0]
    assert message.rcpt_tos == ["tenchou@savaway.example.jp", "staff@tempostar.example.jp"]
    import email

    body = email.message_from_bytes(message.content).get_payload(decode=True).decode()
    for text in (
        shop.code,
        "サバウェイ au",
        "au PAY マーケット",
        "APIキー",
        "2027-02-23",
        "残り 7 日",
        "Wow!manager",
        f"/shops/{shop.code}/edit/#section-wowma_api",
    ):
        assert text in body, text
    assert "au-api-key-expiring-01" not in body


def test_after_downtime_only_the_most_urgent_threshold_is_sent(smtp):
    with at((2026, 11, 26)):
        au_shop("2026-11-26")
    with at((2027, 2, 21)):  # 2 days left: 30, 14, 7 and 3 were all missed
        run()
    assert len(smtp.messages) == 1 and "2日以内" in smtp.subjects()[0]
    assert list(ReminderClaim.objects.values_list("threshold", flat=True)) == [3]


def test_a_renewed_credential_restarts_its_ladder(smtp, admin_client, admin_user):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")
    with at((2027, 2, 16)):
        run()
    with at((2027, 2, 17)):  # the operator enters a new key: 90 more days
        admin_client.force_login(admin_user)  # a session from months ago has expired
        response = admin_client.post(
            reverse("shops:edit", args=[shop.code]),
            post_data(
                MALLS["au_pay_market"],
                **{"wowma_api.api_key": "au-api-key-renewed-02", "ftp.password": ""},
            ),
        )
        assert response["Location"] == reverse("shops:edit", args=[shop.code])
    shop.refresh_from_db()
    assert expiry_of(shop, "wowma_api", "api_key")[0] == datetime(2027, 5, 18, tzinfo=JST)
    with at((2027, 2, 20)):
        run()
    assert len(smtp.messages) == 1  # nothing for the old key any more
    with at((2027, 4, 17)):
        run()
    assert len(smtp.messages) == 2 and "30日以内" in smtp.subjects()[1]


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_one_mail(smtp):
    with at((2026, 11, 26)):
        au_shop("2026-11-26")
    barrier = threading.Barrier(2)
    errors = []

    def scheduler():
        from django.db import connection

        try:
            with at((2027, 2, 16)):
                barrier.wait()
                run()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(smtp.messages) == 1
    assert ReminderClaim.objects.get().status == ReminderClaim.SENT


def test_smtp_down_then_up_delivers_once(smtp):
    with at((2026, 11, 26)):
        au_shop("2026-11-26")
    smtp.controller.stop()  # the SMTP server is down
    with at((2027, 2, 16)):
        report = run()
    assert report.failed == 1 and smtp.messages == []
    claim = ReminderClaim.objects.get()
    assert claim.status == ReminderClaim.FAILED and claim.last_error
    with at(
        (
            2027,
            2,
            16,
        )
    ):
        assert run().claimed == 0  # the backoff is not over yet
    smtp.restart()  # and up again, on the same port
    with time_machine.travel(datetime(2027, 2, 16, 9, 10, tzinfo=JST), tick=False):
        assert run().sent == 1
        assert run().sent == 0
    assert len(smtp.messages) == 1
    assert ReminderClaim.objects.get().status == ReminderClaim.SENT


def test_a_send_abandoned_by_a_dead_worker_is_taken_over(smtp):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")
    row = CredentialExpiry.objects.get(shop=shop)
    ReminderClaim.objects.create(
        shop=shop,
        section=row.section,
        credential=row.credential,
        expires_at=row.expires_at,
        threshold=7,
        run_token="dead-worker",
        status=ReminderClaim.PENDING,
        claimed_at=datetime(2027, 2, 16, 9, tzinfo=JST),
    )
    with time_machine.travel(datetime(2027, 2, 16, 9, 5, tzinfo=JST), tick=False):
        assert run().sent == 0  # still within its lease
    with time_machine.travel(datetime(2027, 2, 16, 9, 30, tzinfo=JST), tick=False):
        assert run().sent == 1
        assert run().sent == 0
    assert len(smtp.messages) == 1


def test_cli_dry_run_claims_nothing(smtp, capsys):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")
    with at((2027, 2, 16)):
        call_command("send_expiry_reminders", "--dry-run")
        assert f"would send: {shop.code} wowma_api.api_key +7d" in capsys.readouterr().out
        assert not ReminderClaim.objects.exists() and smtp.messages == []
        call_command("send_expiry_reminders")
        assert "sent 1, failed 0" in capsys.readouterr().out


# ---- pages --------------------------------------------------------------------------------


def test_dashboard_and_list_badges(admin_client):
    with at((2026, 11, 26)):
        later = au_shop("2026-11-20")
        expired = au_shop("2026-08-01")
        far = au_shop("2026-11-25")
    with at((2026, 11, 26)):
        page = admin_client.get(reverse("shops:expiries")).content.decode()
        listing = admin_client.get(reverse("shops:list")).content.decode()
    assert page.index(expired.code) < page.index(later.code) if later.code in page else True
    assert expired.code in page and "連携停止中" in page
    table = page[page.index('id="expiries"') :]  # (the 120-day timeline above shows it)
    assert far.code not in table  # 90 days away: outside the 30-day window
    assert "連携停止中" in listing and "残り 88 日" in listing


# ---- OAuth --------------------------------------------------------------------------------


def yahoo_shop():
    shop = Shop(
        mall="yahoo_shopping",
        name="Y",
        short_name="Y",
        url="https://store.shopping.yahoo.co.jp/savaway/",
    )
    shop.settings = {
        "yahoo_api.store_account": "savaway",
        "yahoo_api.public_key": MALLS["yahoo_shopping"]["yahoo_api.public_key"],
        "yahoo_api.public_key_version": 3,
    }
    shop.save()
    return shop


def test_oauth_round_trip_stores_encrypted_tokens_and_expiry(admin_client, yahoo_provider):
    shop = yahoo_shop()
    with at((2026, 11, 26)):
        response = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "yahoo_api"]))
        assert response.status_code == 302
        target = urlsplit(response["Location"])
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert target.path == "/authorize" and query["client_id"] == "console-client"
        assert query["redirect_uri"] == "http://testserver/oauth/callback/"
        assert query["code_challenge_method"] == "S256"
        yahoo_provider["challenge"] = query["code_challenge"]
        response = admin_client.get(
            reverse("oauth_callback"), {"code": "auth-code-1", "state": query["state"]}
        )
    assert response.status_code == 302, response.content.decode()[:500]
    shop.refresh_from_db()
    secrets = shop.get_secrets()
    assert secrets["yahoo_api.refresh_token"] == "yahoo-refresh-1"
    assert "yahoo-refresh-1" not in shop.secrets and "yahoo-refresh-1" not in str(shop.settings)
    assert expiry_of(shop, "yahoo_api", "refresh_token")[0] == datetime(2026, 12, 24, 9, tzinfo=JST)
    with at((2026, 11, 26)):  # the same day: sessions end after 30 idle minutes
        page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "サインイン済み" in page and "有効期限を更新" in page
    assert "yahoo-refresh-1" not in page and "yahoo-access-1" not in page


def test_oauth_state_mismatch_is_refused(admin_client, yahoo_provider):
    shop = yahoo_shop()
    response = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "yahoo_api"]))
    query = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    yahoo_provider["challenge"] = query["code_challenge"]
    response = admin_client.get(
        reverse("oauth_callback"), {"code": "auth-code-1", "state": "forged-state"}
    )
    assert response.status_code == 400
    assert "state" in response.content.decode() and "一致しません" in response.content.decode()
    shop.refresh_from_db()
    assert shop.get_secrets() == {}
    assert "token_requests" not in yahoo_provider  # the code was never exchanged


def test_operators_cannot_start_a_sign_in(operator_client):
    shop = yahoo_shop()
    response = operator_client.post(reverse("shops:oauth_start", args=[shop.code, "yahoo_api"]))
    assert response.status_code == 403


def test_access_tokens_are_refreshed_before_they_lapse(yahoo_provider):
    shop = yahoo_shop()
    shop.settings = {
        **shop.settings,
        "yahoo_api.authorized_at": "2026-11-26T09:00:00+09:00",
        "yahoo_api.access_expires_at": "2026-11-26T10:00:00+09:00",
    }
    shop.set_secrets(
        {"yahoo_api.refresh_token": "yahoo-refresh-1", "yahoo_api.access_token": "yahoo-access-1"}
    )
    shop.save()
    with time_machine.travel(datetime(2026, 11, 26, 9, 30, tzinfo=JST), tick=False):
        assert refresh_due_tokens()["refreshed"] == 0  # 30 minutes left
    with time_machine.travel(datetime(2026, 11, 26, 9, 50, tzinfo=JST), tick=False):
        assert refresh_due_tokens()["refreshed"] == 1
    shop.refresh_from_db()
    assert shop.get_secrets()["yahoo_api.access_token"] == "yahoo-access-2"
    assert shop.settings["yahoo_api.authorized_at"] == "2026-11-26T09:00:00+09:00"


# ---- reminders that cannot miss a day (issue M) and hostile names (issue J) -----------------


def test_a_line_break_in_a_shop_name_does_not_stop_the_reminders(smtp):
    with at((2026, 11, 26)):
        broken = au_shop("2026-11-26")
        other = au_shop("2026-11-26", notify="other@savaway.example.jp")
    # Written before forms refused control characters (or through a path that did not).
    Shop.objects.filter(pk=broken.pk).update(
        short_name="サバ\r\nBcc: victim@example.jp\u2028ウェイ\x1b", name="本店\r\n"
    )
    with at((2027, 2, 16)):
        report = run()
    assert (report.sent, report.failed) == (2, 0)
    subjects = smtp.subjects()
    assert len(subjects) == 2 and all("\n" not in s and "\r" not in s for s in subjects)
    assert any("サバ Bcc: victim@example.jp ウェイ" in s for s in subjects)
    recipients = {r for m in smtp.messages for r in m.rcpt_tos}
    assert recipients == {  # the header text injected no recipient
        "tenchou@savaway.example.jp",
        "other@savaway.example.jp",
        "staff@tempostar.example.jp",
    }
    assert other.code in " ".join(subjects)


def test_one_reminder_that_cannot_be_built_is_recorded_and_the_others_go_out(smtp):
    with at((2026, 11, 26)):
        good = au_shop("2026-11-26")
        odd = au_shop("2026-11-26", notify="odd@savaway.example.jp")
    # A tracked credential the connector no longer declares: its mail cannot be written.
    row = CredentialExpiry.objects.get(shop=odd)
    CredentialExpiry.objects.create(
        shop=odd,
        section=row.section,
        credential="retired_key",
        expires_at=row.expires_at,
        source="entered",
    )
    with at((2027, 2, 16)):
        report = run()
    assert (report.sent, report.failed) == (2, 1)
    failed = ReminderClaim.objects.get(status=ReminderClaim.FAILED)
    assert failed.credential == "retired_key" and failed.last_error == "StopIteration"
    assert failed.next_attempt_at is not None  # retried later, like any failure
    assert good.code in " ".join(smtp.subjects())


def test_a_recipient_with_a_line_break_is_skipped_never_injected(smtp):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")
    Shop.objects.filter(pk=shop.pk).update(
        notify_emails="tenchou@savaway.example.jp\r\nBcc: victim@example.jp, ok@savaway.example.jp"
    )
    with at((2027, 2, 16)):
        assert run().sent == 1
    (message,) = smtp.messages
    assert message.rcpt_tos == ["ok@savaway.example.jp", "staff@tempostar.example.jp"]


def test_subjects_are_plain_text(smtp):
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26")
    Shop.objects.filter(pk=shop.pk).update(short_name="A&B <さば>")
    with at((2027, 2, 16)):
        run()
    (subject,) = smtp.subjects()
    assert "A&B <さば>" in subject and "&amp;" not in subject


def test_a_reminder_without_recipient_is_a_problem_never_sent(
    smtp, settings, admin_client, admin_user
):
    settings.REMINDER_STAFF_EMAILS = []
    with at((2026, 11, 26)):
        shop = au_shop("2026-11-26", notify="")
    with at((2027, 2, 16)):
        report = run()
        admin_client.force_login(admin_user)
        page = admin_client.get(reverse("shops:expiries")).content.decode()
    assert (report.sent, report.no_recipient) == (0, 1) and smtp.messages == []
    claim = ReminderClaim.objects.get()
    assert claim.status == ReminderClaim.FAILED and claim.last_error == "no_recipient"
    assert "送信先なし" in page
    # A recipient is added: the reminder goes out at the next run after the backoff.
    Shop.objects.filter(pk=shop.pk).update(notify_emails="tenchou@savaway.example.jp")
    with time_machine.travel(datetime(2027, 2, 16, 9, 10, tzinfo=JST), tick=False):
        assert run().sent == 1
    assert ReminderClaim.objects.get().status == ReminderClaim.SENT


def misbehaving_smtp(settings, **behaviour):
    from tests.faults.smtp import Smtp

    server = Smtp(**behaviour)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    settings.REMINDER_STAFF_EMAILS = []
    return server


def test_a_lost_reply_to_the_end_of_data_is_the_one_duplicate_window(settings):
    with at((2026, 11, 26)):
        au_shop("2026-11-26")
        au_shop("2026-11-26", notify="second@savaway.example.jp")
    with misbehaving_smtp(settings, drop={1}) as server:
        with at((2027, 2, 16)):
            report = run()
        assert (report.sent, report.uncertain) == (1, 1)
        uncertain = ReminderClaim.objects.get(status=ReminderClaim.FAILED)
        assert uncertain.last_error.startswith("no reply after the end of the message")
        assert uncertain.attempts == 1
        with time_machine.travel(datetime(2027, 2, 16, 9, 5, tzinfo=JST), tick=False):
            assert run().sent == 1  # retried the same day, after REMINDER_RETRY_AFTER
    ids = server.message_ids()
    assert len(ids) == 3 and len(set(ids)) == 2  # the dropped one twice, same Message-ID


def test_a_refused_end_of_data_is_retried_without_a_duplicate(settings):
    with at((2026, 11, 26)):
        au_shop("2026-11-26")
    with misbehaving_smtp(settings, refuse={1}) as server:
        with at((2027, 2, 16)):
            report = run()
        assert (report.sent, report.failed, report.uncertain) == (0, 1, 0)
        with time_machine.travel(datetime(2027, 2, 16, 9, 5, tzinfo=JST), tick=False):
            assert run().sent == 1
    assert len(server.message_ids()) == 1


def test_one_smtp_connection_per_chunk(settings):
    settings.REMINDER_CHUNK_SIZE = 2
    with at((2026, 11, 26)):
        for i in range(5):
            au_shop("2026-11-26", notify=f"shop{i}@savaway.example.jp")
    with misbehaving_smtp(settings) as server:
        with at((2027, 2, 16)):
            report = run()
    assert report.sent == 5 and len(server.message_ids()) == 5
    assert server.connections == report.connections == 3


def test_a_run_out_of_time_hands_the_rest_to_the_next_run(settings):
    from django.core import mail

    with at((2026, 11, 26)):
        for i in range(3):
            au_shop("2026-11-26", notify=f"shop{i}@savaway.example.jp")
    settings.REMINDER_RUN_SECONDS = 0  # the budget is spent before the first e-mail
    with at((2027, 2, 16)):
        first = run()
        assert (first.claimed, first.sent, first.more) == (3, 0, True)
        assert set(ReminderClaim.objects.values_list("run_token", flat=True)) == {""}
        settings.REMINDER_RUN_SECONDS = 240
        assert run().sent == 3  # the follow-up run, at once (no lease to wait for)
    assert len(mail.outbox) == 3


def test_the_run_repeats_through_the_day_from_reminder_time(smtp, settings):
    from celery.schedules import crontab

    from shops.tasks import send_expiry_reminders

    entry = settings.CELERY_BEAT_SCHEDULE["expiry-reminders"]
    assert entry["schedule"] == crontab(minute=f"*/{settings.REMINDER_EVERY_MINUTES}")
    assert settings.REMINDER_EVERY_MINUTES <= 10
    with at((2026, 11, 26)):
        au_shop("2026-11-26")
    smtp.controller.stop()  # the SMTP server is down at 09:00
    with time_machine.travel(datetime(2027, 2, 16, 8, 50, tzinfo=JST), tick=False):
        assert send_expiry_reminders() == {"skipped": "outside sending hours"}
    with at((2027, 2, 16)):
        assert send_expiry_reminders()["failed"] == 1
    smtp.restart()
    with time_machine.travel(datetime(2027, 2, 16, 9, 10, tzinfo=JST), tick=False):
        assert send_expiry_reminders()["sent"] == 1  # the same morning, not the next day
    assert len(smtp.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_any_shop_name_gets_its_reminder_on_one_line():
    from django.core import mail
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    with at((2026, 11, 26)):
        neighbour = au_shop("2026-11-26")  # its reminder must go out whatever happens

    # Any text a database can store (PostgreSQL refuses NUL in text; forms refuse it too).
    # Any character a person can type or paste: lone surrogates cannot even be stored.
    names = st.text(
        alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),
        min_size=1,
        max_size=150,
    )

    @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=names)
    def check(name):
        Shop.objects.exclude(pk=neighbour.pk).delete()
        ReminderClaim.objects.all().delete()
        mail.outbox.clear()
        with at((2026, 11, 26)):
            shop = au_shop("2026-11-26", notify="hostile@savaway.example.jp")
        Shop.objects.filter(pk=shop.pk).update(short_name=name[:100], name=name)
        with at((2027, 2, 16)):
            report = run()
        assert report.sent == 2 and report.failed == 0
        for message in mail.outbox:
            subject = message.message()["Subject"]
            assert "\n" not in str(subject).replace("\n ", "")  # folded, never broken
            assert message.recipients() in (
                ["tenchou@savaway.example.jp"],
                ["hostile@savaway.example.jp"],
            )

    check()


@pytest.mark.browser
@pytest.mark.skipif(
    not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed"
)
def test_a_reminder_without_recipient_is_shown_on_the_expiry_page(
    live_server,
    page,  # noqa: F811 - the browser fixture imported above
    admin_user,
    settings,
):
    from playwright.sync_api import expect

    from shops.expiry import sync_expiries
    from tests.conftest import PASSWORD

    settings.REMINDER_STAFF_EMAILS = []
    issued = timezone.localdate() - timedelta(days=85)  # its key lapses in 5 days
    shops = {}
    for label, notify in (("宛先なし店", ""), ("宛先あり店", "tenchou@savaway.example.jp")):
        shop = Shop(
            mall="au_pay_market",
            name=label,
            short_name=label,
            url="http://www.dena-ec.com/user/1234567",
            notify_emails=notify,
        )
        shop.settings = {
            "wowma_api.shop_id": "1234567",
            "wowma_api.api_key_issued_on": issued.isoformat(),
        }
        shop.set_secrets({"wowma_api.api_key": "au-api-key-browser"})
        shop.save()
        sync_expiries(shop)
        shops[label] = shop
    report = run()
    assert (report.sent, report.no_recipient) == (1, 1)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill("admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{live_server.url}/shops/expiries/")
    missing = page.locator("#expiries tr", has_text=shops["宛先なし店"].code)
    expect(missing.locator(".reminder")).to_have_text("送信先なし")
    expect(missing.locator(".reminder .badge")).to_be_visible()
    sent = page.locator("#expiries tr", has_text=shops["宛先あり店"].code)
    expect(sent.locator(".reminder")).to_contain_text("送信済み")


@pytest.mark.django_db
def test_a_row_the_connector_no_longer_declares_is_listed_by_its_keys(client, admin_user):
    """A section or credential removed by an upgrade left rows that stopped the 有効期限 page,
    the API's list and the reminders' labels until the shop was saved again."""
    from datetime import timedelta

    from django.utils import timezone

    from api import tokens

    shop = Shop.objects.create(mall="other", name="n", short_name="電話", url="https://t.jp/")
    CredentialExpiry.objects.create(
        shop=shop,
        section="retired_api",
        credential="old_key",
        expires_at=timezone.now() + timedelta(days=5),
        source="issued",
    )
    client.force_login(admin_user)
    page = client.get("/shops/expiries/?within=all")
    assert page.status_code == 200 and "retired_api / old_key" in page.content.decode()
    _t, raw = tokens.issue(admin_user, "x")
    response = client.get("/api/v1/expiries?within=all", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["results"][0]["label"] == "retired_api / old_key"
