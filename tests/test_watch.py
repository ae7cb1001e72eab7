"""The nightly watch (monitoring/): states, alerts exactly once by mail (a real SMTP server)
and chat (Apprise's JSON to a local webhook; Chatwork through its own small plugin), the
destinations console, the 連携状況 page and the expiry calendar."""

import json
import threading
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from icalendar import Calendar

from connectors.malls.qoo10 import QAPI
from monitoring import notify, watch
from monitoring.models import Alert, CalendarFeed, Delivery, Destination, SectionState, WatchRun
from monitoring.tasks import deliver_due_alerts, watch_connections
from shops.expiry import sync_expiries
from tests.helpers import make_shop
from tests.servers import HttpServer, free_port
from tests.test_expiry import Inbox

JST = ZoneInfo("Asia/Tokyo")
API_KEY, PASSWORD = "qoo10-api-key-watch-77", "qoo10-pass-watch-88"
HOOK_TOKEN = "hook-token-5f3a9c1e7b"


def at(day, hour=3, minute=0):
    return time_machine.travel(datetime(2026, 11, day, hour, minute, tzinfo=JST), tick=False)


class Mall:
    """A local QAPI as tests/connectors/test_qoo10.py speaks it (CertificationAPI.
    CreateCertificationKey, then ItemsLookup.GetAllGoodsInfo under the seller key) whose
    accepted password can change, as when someone changes it in QSM: that also retires every
    seller key issued before (Qoo10 does so)."""

    def __init__(self):
        self.issued: set[str] = set()
        self._password = PASSWORD

    @property
    def password(self):
        return self._password

    @password.setter
    def password(self, value):
        self._password = value
        self.issued.clear()

    def routes(self):
        def certify(request):
            form = parse_qs(request["body"])
            ok = request["headers"].get("GiosisCertificationKey") == API_KEY and form.get(
                "pwd"
            ) == [self.password]
            if not ok:
                return 200, {}, {"ResultCode": -10000, "ResultMsg": "Invalid", "ResultObject": ""}
            key = f"seller-k-{len(self.issued) + 1}"
            self.issued.add(key)
            return 200, {}, {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": key}

        def goods(request):
            if request["headers"].get("GiosisCertificationKey") not in self.issued:
                return 200, {}, {"ErrorCode": -90001, "ErrorMsg": "存在しないAPIです。"}
            result = {"TotalItems": 0, "TotalPages": 0, "PresentPage": 0, "Items": []}
            return 200, {}, {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": result}

        return {
            ("POST", "/CertificationAPI.CreateCertificationKey"): certify,
            ("POST", "/ItemsLookup.GetAllGoodsInfo"): goods,
        }


@pytest.fixture
def mall(settings):
    state = Mall()
    with HttpServer(state.routes()) as api:
        setattr(settings, QAPI.setting, api.url)
        state.api = api
        yield state


@pytest.fixture
def hook(settings):
    """A local webhook that receives Apprise's JSON (json://); set as NOTIFY_URLS."""
    with HttpServer({("POST", f"/hook/{HOOK_TOKEN}"): lambda r: (200, {}, {})}) as server:
        port = server.url.rsplit(":", 1)[1]
        settings.NOTIFY_URLS = [f"json://127.0.0.1:{port}/hook/{HOOK_TOKEN}"]
        server.posts = lambda: [json.loads(r["body"]) for r in server.requests]
        yield server


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on loopback; the shop's recipients and a staff list."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    settings.REMINDER_STAFF_EMAILS = ["staff@tempostar.example.jp"]
    yield inbox
    controller.stop()


@pytest.fixture
def eager():
    from tempostar.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def qoo10_shop(**fields):
    return make_shop(
        "qoo10",
        {"qoo10_api.user_id": "savaway_q"},
        {"qoo10_api.api_key": API_KEY, "qoo10_api.password": PASSWORD},
        notify_emails="tenchou@savaway.example.jp",
        **fields,
    )


def nightly(capture):
    """One watch, as beat starts it, with the lanes run here (eager tasks, committed)."""
    with capture(execute=True):
        started = watch.start(slot=watch.next_slot(), trigger=WatchRun.BEAT)
    for lane in started.lanes:
        with capture(execute=True):
            watch.run_lane(lane)
    return started


def mail_text(message):
    import email

    parsed = email.message_from_bytes(message.content, policy=email.policy.default)
    return str(parsed["Subject"]), parsed.get_body().get_content()


@pytest.mark.django_db
def test_failing_staying_failed_and_recovering_sends_exactly_two_alerts(
    mall, hook, smtp, eager, django_capture_on_commit_callbacks
):
    shop = qoo10_shop(name="株式会社サバウェイ", short_name="サバウェイQ")
    with at(1):
        nightly(django_capture_on_commit_callbacks)
    state = SectionState.objects.get(shop=shop, section="qoo10_api")
    assert state.state == SectionState.OK and not Alert.objects.exists()

    mall.password = "changed-in-qsm"  # someone changed the password at the mall
    with at(2):
        nightly(django_capture_on_commit_callbacks)
    with at(3):
        nightly(django_capture_on_commit_callbacks)  # still failing: nothing new
    state.refresh_from_db()
    assert state.state == SectionState.FAILING
    assert state.since == datetime(2026, 11, 2, 3, 0, tzinfo=JST)
    assert len(smtp.messages) == 1 and len(hook.posts()) == 1

    mall.password = PASSWORD  # put back
    with at(4):
        nightly(django_capture_on_commit_callbacks)
    with at(5):
        nightly(django_capture_on_commit_callbacks)
    assert [a.kind for a in Alert.objects.order_by("seq")] == ["failing", "recovered"]
    assert len(smtp.messages) == 2 and len(hook.posts()) == 2
    assert Delivery.objects.filter(status=Delivery.SENT).count() == 4

    # What the alert says, in Japanese: shop, mall, section, message, since, what to do, link.
    subject, body = mail_text(smtp.messages[0])
    subject = subject.strip()
    assert "連携異常" in subject and "サバウェイQ" in subject and "Qoo10" in subject
    assert "株式会社サバウェイ" in body and shop.code in body
    assert "認証に失敗しました" in body and "2026-11-02 03:00" in body
    assert "接続確認" in body
    assert f"http://127.0.0.1:8000/shops/{shop.code}/edit/#section-qoo10_api" in body
    chat = hook.posts()
    assert chat[0]["title"] == subject and "認証に失敗しました" in chat[0]["message"]
    assert "連携回復" in chat[1]["title"] and "2026-11-02 03:00" in chat[1]["message"]
    recipients = [m.rcpt_tos for m in smtp.messages]
    assert all("tenchou@savaway.example.jp" in r for r in recipients)
    # Never a secret in what was sent.
    sent = json.dumps(chat, ensure_ascii=False) + "".join(m.content.decode() for m in smtp.messages)
    for secret in (API_KEY, PASSWORD, "seller-k"):
        assert secret not in sent


@pytest.mark.django_db
def test_a_manual_check_moves_the_state_too(mall, django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_URLS = []
    shop = qoo10_shop()
    from tests.helpers import run

    assert run(shop, "qoo10_api").status == "success"
    assert SectionState.objects.get(shop=shop).state == SectionState.OK
    mall.password = "other"
    with django_capture_on_commit_callbacks(execute=False):
        run(shop, "qoo10_api")
    assert SectionState.objects.get(shop=shop).state == SectionState.FAILING
    assert Alert.objects.get().kind == Alert.FAILING


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_one_alert(mall, hook, smtp, eager):
    shop = qoo10_shop()
    mall.password = "changed-in-qsm"
    results = []

    def beat():
        try:
            results.append(watch_connections.apply(args=("2026-11-02",)).result)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r["started"] for r in results) == [False, True], results
    assert WatchRun.objects.count() == 1

    # Two workers recording the same change at once (a retried task, an overlapping run).
    from shops.models import ConnectionCheck

    ids = [ConnectionCheck.objects.create(shop=shop, section="qoo10_api").pk for _ in range(2)]

    def worker(check_id):
        try:
            watch.run_lane([check_id])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert Alert.objects.count() == 1
    deliver_due_alerts()  # nothing is sent twice by a sweep either
    assert len(smtp.messages) == 1 and len(hook.posts()) == 1


@pytest.mark.django_db
def test_a_failed_chat_delivery_is_retried_until_sent(
    mall, smtp, eager, settings, django_capture_on_commit_callbacks
):
    port = free_port()  # nothing listens yet
    settings.NOTIFY_URLS = [f"json://127.0.0.1:{port}/hook/{HOOK_TOKEN}"]
    qoo10_shop()
    mall.password = "changed"
    with at(2):
        nightly(django_capture_on_commit_callbacks)
    failed = Delivery.objects.get(target__startswith="env:")
    assert failed.status == Delivery.FAILED and HOOK_TOKEN not in failed.last_error
    assert len(smtp.messages) == 1  # the mail went; the chat waits for its retry
    with HttpServer({("POST", f"/hook/{HOOK_TOKEN}"): lambda r: (200, {}, {})}) as server:
        server.server.server_close()
        from http.server import ThreadingHTTPServer

        server.server = ThreadingHTTPServer(("127.0.0.1", port), server.server.RequestHandlerClass)
        thread = threading.Thread(target=server.server.serve_forever, daemon=True)
        thread.start()
        with at(2, 3, 2):
            assert deliver_due_alerts() == 0  # the backoff is not over
        with at(2, 3, 10):
            assert deliver_due_alerts() == 1
        with at(2, 4, 0):
            deliver_due_alerts()
        server.server.shutdown()
    assert len(server.requests) == 1 and len(smtp.messages) == 1
    assert Delivery.objects.get(pk=failed.pk).status == Delivery.SENT


@pytest.mark.django_db
def test_watch_command_tests_every_section_of_every_shop(
    mall, eager, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = []
    shops = [qoo10_shop() for _ in range(3)]
    make_shop("gurunavi")  # nothing testable
    with django_capture_on_commit_callbacks(execute=True):
        call_command("watch_connections")
    assert SectionState.objects.filter(state=SectionState.OK).count() == 3
    assert {s.shop for s in SectionState.objects.all()} == set(shops)
    assert WatchRun.objects.get().trigger == WatchRun.COMMAND


@pytest.mark.django_db
def test_beat_asks_every_ten_minutes_and_the_watch_starts_once_after_its_time(
    mall, eager, settings
):
    settings.HEALTH_WATCH_TIME = "03:00"
    qoo10_shop()
    with at(5, 2, 50):
        assert watch_connections.apply().result == {"started": False, "reason": "not yet time"}
    # Beat was down at 03:00 (or its schedule file was lost): the next ask catches up.
    with at(5, 9, 40):
        assert watch_connections.apply().result["started"] is True
    with at(5, 9, 50):
        assert watch_connections.apply().result["started"] is False
    assert WatchRun.objects.get().slot == "2026-11-05"


def shop_with_a_year_old_seller_key(**fields):
    shop = make_shop(
        "qoo10",
        {"qoo10_api.user_id": "savaway_q", "qoo10_api.seller_key_issued_at": "2025-11-30T09:00"},
        {"qoo10_api.api_key": API_KEY, "qoo10_api.password": PASSWORD, "qoo10_api.seller_key": "k"},
        **fields,
    )
    sync_expiries(shop)
    return shop


@pytest.mark.django_db
def test_an_expiry_reminder_also_reaches_the_chat_destinations(hook, smtp, settings):
    from shops.reminders import run as send_reminders

    settings.REMINDER_STAFF_EMAILS = []
    shop_with_a_year_old_seller_key(short_name="チャット店", notify_emails="tenchou@example.jp")
    shop_with_a_year_old_seller_key(short_name="メールなし店", notify_emails="")
    with at(26, 9, 30):
        report = send_reminders()
    assert report.sent == 2 and report.no_recipient == 0, report.lines
    messages = [f"{p.get('title', '')} {p['message']}" for p in hook.posts()]
    assert len(messages) == 2 and all("販売者認証キー" in m for m in messages)
    assert any("メールなし店" in m for m in messages)
    assert len(smtp.messages) == 1  # the shop without an e-mail recipient got chat only


# ---- spreading the calls ----------------------------------------------------------------------


@given(
    hosts=st.lists(st.integers(min_value=0, max_value=6), min_size=0, max_size=300),
    per_host=st.integers(min_value=1, max_value=5),
    lanes=st.integers(min_value=1, max_value=20),
)
@hsettings(max_examples=200, deadline=None)
def test_lanes_keep_each_host_to_its_limit(hosts, per_host, lanes):
    items = [(i, f"h{h}" if h else "") for i, h in enumerate(hosts)]
    planned = watch.plan_lanes(items, per_host=per_host, lanes=lanes)
    assert sorted(i for lane in planned for i in lane) == list(range(len(hosts)))
    assert len(planned) <= lanes
    for host in {h for _, h in items if h}:
        ids = {i for i, h in items if h == host}
        # A lane runs one check at a time: a host is called by at most the lanes holding it.
        assert sum(1 for lane in planned if ids & set(lane)) <= per_host


def test_sections_name_the_host_they_call(settings):
    from connectors.base import registry

    rakuten = registry.get("rakuten")
    assert rakuten.section("ftp").watch_host({"host": "Upload.Rakuten.ne.jp"}) == (
        "upload.rakuten.ne.jp"
    )
    assert rakuten.section("rakuten_api").watch_host({}) == "api.rms.rakuten.co.jp"
    shopify = registry.get("shopify").section("shopify_api")
    assert shopify.watch_host({"shop_domain": "savaway.myshopify.com"}) == "savaway.myshopify.com"
    yahoo = registry.get("yahoo_shopping").section("yahoo_api")
    assert yahoo.watch_host({}) == "auth.login.yahoo.co.jp"


# ---- destinations ---------------------------------------------------------------------------


class ChatworkServer(HttpServer):
    """Chatwork API v2 POST /v2/rooms/{room_id}/messages: token in X-ChatWorkToken, form field
    `body`. A wrong token gets 401 {"errors": ["Invalid API token"]}, an empty body 400
    (https://developer.chatwork.com/reference/post-rooms-room_id-messages)."""

    TOKEN, ROOM = "cwtoken0123456789abcdef", "123456"

    def __init__(self):
        def post(request):
            if request["headers"].get("X-ChatWorkToken") != self.TOKEN:
                return 401, {}, {"errors": ["Invalid API token"]}
            body = parse_qs(request["body"]).get("body", [""])[0]
            if not body:
                return 400, {}, {"errors": ["Parameter [body] is required"]}
            self.messages.append(body)
            return 200, {}, {"message_id": str(len(self.messages))}

        self.messages = []
        super().__init__({("POST", f"/v2/rooms/{self.ROOM}/messages"): post})


@pytest.mark.django_db
def test_admin_adds_a_chatwork_destination_and_sends_a_test(client, manager, settings):
    client.force_login(manager)
    with ChatworkServer() as chatwork:
        settings.CHATWORK_API_BASE = chatwork.url + "/v2"
        url = f"chatwork://{chatwork.TOKEN}@{chatwork.ROOM}"
        response = client.post(
            reverse("monitoring:destinations"),
            {"label": "EC運用ルーム", "scope": "mall", "mall": "qoo10", "url": url},
        )
        assert response.status_code == 302
        destination = Destination.objects.get()
        assert chatwork.TOKEN not in destination.url  # encrypted
        page = client.get(reverse("monitoring:destinations")).content.decode()
        assert chatwork.TOKEN not in page and "chatwork://…" in page
        response = client.post(
            reverse("monitoring:destination_test", args=[destination.pk]), follow=True
        )
        assert "テストメッセージを送信しました" in response.content.decode()
        assert len(chatwork.messages) == 1 and "Qoo10" in chatwork.messages[0]

        # A token the service refuses: the page says so, without the URL or its token.
        Destination.objects.filter(pk=destination.pk).delete()
        client.post(
            reverse("monitoring:destinations"),
            {
                "label": "古いルーム",
                "scope": "mall",
                "mall": "qoo10",
                "url": f"chatwork://wrongtoken99999999@{chatwork.ROOM}",
            },
        )
        bad = Destination.objects.get()
        page = client.post(
            reverse("monitoring:destination_test", args=[bad.pk]), follow=True
        ).content.decode()
        assert "届きませんでした" in page and "wrongtoken99999999" not in page
        assert len(chatwork.messages) == 1


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://example.com/hook", "対応しているサービスの URL ではありません"),
        ("slack://a/b/c\x07", "制御文字"),
        ("json://example.com/\u200bhook", "制御文字"),
        ("json://127.0.0.1:9/hook", "内部向けまたは予約済みのアドレス"),
        ("json://10.0.0.5/hook", "内部向けまたは予約済みのアドレス"),
        ("slack://" + "a" * 2100, "2000 文字以下"),
        ("", "通知先の URL を入力してください"),
    ],
)
@pytest.mark.django_db
def test_a_bad_destination_url_is_refused_with_a_clear_message(
    client, manager, settings, url, message
):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    client.force_login(manager)
    response = client.post(
        reverse("monitoring:destinations"),
        {"label": "x", "scope": "mall", "mall": "qoo10", "url": url},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Destination.objects.exists()
    if len(url) > 20:
        assert url not in response.content.decode()


@pytest.mark.django_db
def test_a_typed_url_is_kept_when_another_field_is_wrong(client, manager):
    """Issue I's rule for secrets, on 通知先: a valid URL typed into a submit that comes back
    with an error waits on the server (never in the HTML) and is saved with the corrected
    submit; discarding it, or a token from elsewhere, asks for it again."""
    client.force_login(manager)
    url = "slack://TokenAAAA/TokenBBBB/TokenCCCCsecret42"
    page = client.post(
        reverse("monitoring:destinations"),
        {"label": "運用", "scope": "shop", "shop": "S99999", "url": url},
    )
    html = page.content.decode()
    assert page.status_code == 400 and "このショップコードのショップはありません" in html
    assert "入力済み(未保存)" in html and "TokenCCCCsecret42" not in html
    token = page.context["form"].kept_token
    assert token and "TokenCCCCsecret42" not in str(dict(client.session))  # encrypted

    # Discarded: the URL is asked for again, nothing saved.
    page = client.post(
        reverse("monitoring:destinations"),
        {
            "label": "運用",
            "scope": "mall",
            "mall": "qoo10",
            "url": "",
            "kept_url": token,
            "discard_url": "on",
        },
    )
    assert page.status_code == 400 and "通知先の URL を入力してください" in page.content.decode()
    assert not Destination.objects.exists()

    # Kept again, then the corrected submit saves it without retyping.
    token = (
        client.post(
            reverse("monitoring:destinations"),
            {"label": "運用", "scope": "shop", "shop": "S99999", "url": url},
        )
        .context["form"]
        .kept_token
    )
    page = client.post(
        reverse("monitoring:destinations"),
        {"label": "運用", "scope": "mall", "mall": "qoo10", "url": "", "kept_url": token},
    )
    assert page.status_code == 302
    assert Destination.objects.get().get_url() == url
    assert token not in client.session.get("shops.kept_secrets", {})

    # A token that opens nothing (expired, another session's): said, never a silent loss.
    page = client.post(
        reverse("monitoring:destinations"),
        {"label": "別", "scope": "mall", "mall": "qoo10", "url": "", "kept_url": token},
    )
    assert page.status_code == 400 and "破棄されました" in page.content.decode()
    assert Destination.objects.count() == 1


@pytest.mark.django_db
def test_only_administrators_manage_destinations(client, operator):
    client.force_login(operator)
    assert client.get(reverse("monitoring:destinations")).status_code == 403
    assert client.get(reverse("monitoring:status")).status_code == 200


@pytest.mark.django_db
def test_a_shop_destination_and_a_mall_destination_both_get_the_alert(
    mall, eager, settings, manager, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = []
    shop = qoo10_shop()
    other = qoo10_shop()
    with HttpServer(
        {("POST", "/a"): lambda r: (200, {}, {}), ("POST", "/b"): lambda r: (200, {}, {})}
    ) as hooks:
        port = hooks.url.rsplit(":", 1)[1]
        for path, scope in (("a", {"mall": "qoo10"}), ("b", {"shop": shop})):
            d = Destination(label=path, **scope)
            d.set_url(f"json://127.0.0.1:{port}/{path}")
            d.save()
        mall.password = "changed"
        with at(2):
            nightly(django_capture_on_commit_callbacks)
    paths = sorted(r["path"] for r in hooks.requests)
    assert paths == ["/a", "/a", "/b"]  # the mall's for both shops, the shop's for one
    assert Alert.objects.filter(shop=other).count() == 1


@pytest.mark.django_db
def test_expiry_reminders_can_fan_out_to_chat(hook, settings):
    shop = qoo10_shop()
    report = notify.notify_chat(shop, "【TEMPOSTAR】期限のお知らせ", "本文")
    assert (report.sent, report.failed) == (1, 0)
    assert hook.posts()[0]["title"] == "【TEMPOSTAR】期限のお知らせ"


# ---- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_status_page_lists_failing_first_and_the_list_badge_follows(
    mall, admin_client, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_URLS = []
    good = qoo10_shop(short_name="正常ショップ")
    bad = qoo10_shop(short_name="異常ショップ")
    make_shop("rakuten", short_name="未確認ショップ", url="https://www.rakuten.co.jp/x/")
    with at(1):
        nightly(django_capture_on_commit_callbacks)
    SectionState.objects.filter(shop=bad).update(
        state=SectionState.FAILING, last_code="auth_failed"
    )
    page = admin_client.get(reverse("monitoring:status")).content.decode()
    assert page.index("異常ショップ") < page.index("未確認ショップ") < page.index("正常ショップ")
    assert "認証に失敗しました" in page
    only_failing = admin_client.get(reverse("monitoring:status"), {"state": "failing"})
    assert "正常ショップ" not in only_failing.content.decode()
    listing = admin_client.get(reverse("shops:list")).content.decode()
    row = listing[listing.index(bad.code) :]
    assert "status-failed" in row[: row.index("</tr>")]
    row = listing[listing.index(good.code) :]
    assert "status-success" in row[: row.index("</tr>")]


def expiring_shop():
    shop = make_shop(
        "qoo10",
        {"qoo10_api.user_id": "u", "qoo10_api.seller_key_issued_at": "2026-01-10T10:00:00+09:00"},
        {"qoo10_api.api_key": API_KEY, "qoo10_api.password": PASSWORD, "qoo10_api.seller_key": "k"},
        short_name="カレンダー店",
    )
    sync_expiries(shop)
    return shop


@pytest.mark.django_db
def test_the_calendar_feed_parses_with_the_right_dates_and_renews(client, viewer, settings):
    settings.REMINDER_THRESHOLDS = [30, 7, 0, -1]
    shop = expiring_shop()
    client.force_login(viewer)
    page = client.post(reverse("monitoring:calendar"), follow=True).content.decode()
    url = page.split('id="feed-url">', 1)[1].split("<", 1)[0]
    assert url.startswith("http://127.0.0.1:8000/monitoring/calendar/")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert "feed-url" not in client.get(reverse("monitoring:calendar")).content.decode()

    client.logout()
    response = client.get(path)  # a calendar app: no session
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    # Issued 2026-01-10 10:00 JST + 365 days: works through 2027-01-10.
    assert event.decoded("dtstart").isoformat() == "2027-01-10"
    assert event.decoded("dtend").isoformat() == "2027-01-11"
    assert "カレンダー店" in str(event["summary"]) and "Qoo10" in str(event["summary"])
    assert "2026-12-11" in str(event["description"])  # 30 days before
    triggers = sorted(a.decoded("trigger").days for a in event.walk("VALARM"))
    assert triggers == [-30, -7, 0]
    assert event["uid"].startswith(f"expiry-{shop.code}-qoo10_api-seller_key@")
    for secret in (API_KEY, PASSWORD):
        assert secret not in response.content.decode()
    # The event links to the page every role may open (a viewer could not open the editor).
    assert str(event["url"]).endswith(
        reverse("shops:detail", args=[shop.code]) + "#section-qoo10_api"
    )
    assert "カレンダーのアドレスを作成しました。" in page and "以前のアドレス" not in page

    client.force_login(viewer)
    renewed = client.post(reverse("monitoring:calendar"), follow=True).content.decode()
    assert "以前のアドレスは使えなくなりました" in renewed
    client.logout()
    assert client.get(path).status_code == 404  # renewed: the old address stops working
    assert CalendarFeed.objects.count() == 1
    assert client.get("/monitoring/calendar/" + "x" * 43 + ".ics").status_code == 404


@pytest.mark.django_db
def test_the_expiry_page_draws_the_next_120_days(client, admin_user):
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=JST), tick=False):
        expiring_shop()
        client.force_login(admin_user)
        page = client.get(reverse("shops:expiries")).content.decode()
        # The page asks for the chart once it is shown (htmx), so the list comes first.
        assert reverse("monitoring:timeline") in page
        chart = client.get(reverse("monitoring:timeline"), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="expiry-timeline"' in chart and "カレンダー店" in chart
    assert "2027-01-10" in chart


@pytest.mark.django_db(transaction=True)
def test_a_quiet_result_is_written_in_bulk_and_a_state_moved_meanwhile_still_alerts(
    settings, eager, django_capture_on_commit_callbacks
):
    """Results that change nothing skip record(); one whose state moved while the watch ran
    (a test by hand recorded a failure) goes through record() and alerts its recovery."""
    settings.NOTIFY_URLS = []
    moved = {}

    def graphql(request):
        if request["headers"].get("X-Shopify-Access-Token") == "shpat_moved" and not moved:
            # Someone's test by hand records a failure while the watch waits for this answer.
            try:
                moved["done"] = SectionState.objects.filter(shop__short_name="動いた店").update(
                    state=SectionState.FAILING, transitions=1
                )
            finally:
                connection.close()
        return 200, {}, {"data": {"shop": {"name": "x", "myshopifyDomain": "x.myshopify.com"}}}

    with HttpServer({("POST", "/admin/api/2026-10/graphql.json"): graphql}) as api:
        settings.SHOPIFY_ADMIN_BASE = api.url
        settings.SHOPIFY_API_VERSION = "2026-10"
        calm = make_shop(
            "shopify",
            {"shopify_api.shop_domain": "calm.myshopify.com"},
            {"shopify_api.access_token": "shpat_calm"},
            short_name="静かな店",
        )
        shaken = make_shop(
            "shopify",
            {"shopify_api.shop_domain": "moved.myshopify.com"},
            {"shopify_api.access_token": "shpat_moved"},
            short_name="動いた店",
        )
        for shop in (calm, shaken):
            SectionState.objects.create(shop=shop, section="shopify_api", state="ok")
        with at(2):
            nightly(django_capture_on_commit_callbacks)
    assert moved["done"] == 1
    calm_state = SectionState.objects.get(shop=calm)
    assert (calm_state.state, calm_state.last_code, calm_state.transitions) == ("ok", "ok", 0)
    assert calm_state.checked_at == datetime(2026, 11, 2, 3, 0, tzinfo=JST)
    assert calm.checks.get().status == "success"
    assert SectionState.objects.get(shop=shaken).state == SectionState.OK
    alert = Alert.objects.get()
    assert (alert.shop, alert.kind) == (shaken, Alert.RECOVERED)


@pytest.mark.django_db
def test_a_shop_name_with_markup_and_a_line_break_gives_one_plain_alert_subject(
    mall, smtp, eager, django_capture_on_commit_callbacks
):
    """The alert subject was HTML-escaped (A&amp;B) and took the name's line break as it was;
    a subject that cannot be built or sent now fails only its own alert."""
    from monitoring import notify

    qoo10_shop(short_name="A&B '店'\r\nBcc: x@example.jp")
    other = qoo10_shop(short_name="普通の店")
    mall.password = "changed"
    real_deliver = notify.deliver
    broken = []

    def deliver(alert_id, now=None):
        if Alert.objects.get(pk=alert_id).shop_id == other.pk and not broken:
            broken.append(alert_id)
            raise RuntimeError("this alert cannot be built")
        return real_deliver(alert_id, now)

    with at(2):
        nightly(django_capture_on_commit_callbacks)
    subjects = [mail_text(m)[0] for m in smtp.messages]
    assert any("A&B '店' Bcc: x@example.jp" in s for s in subjects)
    assert not any("&amp;" in s or "&#x27;" in s for s in subjects)
    # One alert that raises does not stop the sweep of the others.
    Delivery.objects.update(
        status=Delivery.FAILED, next_attempt_at=datetime(2026, 11, 1, tzinfo=JST)
    )
    import monitoring.tasks as monitoring_tasks

    before = len(smtp.messages)
    with at(3):
        monitoring_tasks.notify.deliver = deliver
        try:
            assert deliver_due_alerts() == 2
        finally:
            monitoring_tasks.notify.deliver = real_deliver
    assert len(smtp.messages) == before + 1 and broken
