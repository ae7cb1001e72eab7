"""Hostile values in the shop form and the product form (issue J, items 2 and 8): control
characters are refused with a message naming the field, invisible characters are removed with
a warning (refused in a product code), only ASCII and full-width digits are digits, lengths
and numbers are bounded before anything is saved, and a refused form saves nothing.

The property tests drive every mall's every field with generated values: the form saves
values that round-trip, or refuses; never a 500, never a partial save."""

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import fields as F
from connectors.base import registry
from orders.models import Product
from shops import store
from shops.forms import ShopForm
from shops.models import CredentialExpiry, Shop, ShopChange, ShopCode
from tests.mall_data import MALLS, post_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_remembered_secrets")]


CREATE = reverse("shops:create", args=["rakuten"])


def errors_of(response, name) -> str:
    return " ".join(response.context["form"].errors.get(name, []))


def assert_nothing_saved():
    assert not Shop.objects.exists() and not ShopCode.objects.exists()
    assert not ShopChange.objects.exists() and not CredentialExpiry.objects.exists()


# ---- control characters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("short_name", "ショップ名(略称)"),
        ("name", "ショップ名(正式名称)"),
        ("manager_name", "ショップ店長名"),
        ("url", "ショップURL"),
        ("notify_emails", "期限通知メールの送信先"),
        ("ftp__user", "FTPユーザーID"),
        ("ftp__password", "FTPユーザパスワード"),
        ("rakuten_api__license_key", "licenseKey"),
        ("sender_mail__from_address", "送信元メールアドレス"),
        ("anshin_mail__port", "ポート"),
    ],
)
@pytest.mark.parametrize("control", ["\r\n", "\n", "\x00", "\x1b", "\x7f", "\x85", "\u2028"])
def test_a_control_character_is_refused_with_the_fields_name(admin_client, field, label, control):
    data = post_data(MALLS["rakuten"])
    data[field] = f"{data.get(field) or 'x@example.jp'}{control}Bcc: evil@example.jp"
    response = admin_client.post(CREATE, data)
    assert response.status_code == 200
    message = errors_of(response, field)
    assert f"「{label}」" in message and "制御文字" in message, message
    assert_nothing_saved()


def test_a_public_key_keeps_its_line_breaks_but_no_other_control(admin_client):
    create = reverse("shops:create", args=["yahoo_shopping"])
    data = post_data(MALLS["yahoo_shopping"])
    pem = MALLS["yahoo_shopping"]["yahoo_api.public_key"]
    data["yahoo_api__public_key"] = pem.replace("\n", "\r\n")  # as a browser sends it
    assert admin_client.post(create, data).status_code == 302
    Shop.objects.all().delete()
    data["yahoo_api__public_key"] = pem.replace("\n", "\n\x1b[31m", 1)
    response = admin_client.post(create, data)
    assert "制御文字" in errors_of(response, "yahoo_api__public_key")


# ---- invisible characters ------------------------------------------------------------------


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\ufeff", "\u200d", "\u202e", "\u2066", "\u00ad", "\u3164"]
)
def test_invisible_characters_are_removed_with_a_warning(admin_client, invisible):
    data = post_data(
        MALLS["rakuten"],
        short_name=f"サバ{invisible}ウェイ",
        **{"rakuten_api.license_key": f"SL000001_license{invisible}Key"},
    )
    response = admin_client.post(CREATE, data, follow=True)
    shop = Shop.objects.get()
    assert shop.short_name == "サバウェイ"
    assert shop.get_secrets()["rakuten_api.license_key"] == "SL000001_licenseKey"
    page = response.content.decode()
    assert "「ショップ名(略称)」から見えない文字" in page
    assert "「licenseKey」から見えない文字" in page


# ---- numbers, lengths -------------------------------------------------------------------------

VERSION = "yahoo_api__public_key_version"


@pytest.mark.parametrize(
    ("value", "saved", "message"),
    [
        ("３", 3, None),  # full-width digits are digits
        (" 12 ", 12, None),
        ("٣", None, "数字"),  # Arabic-Indic
        ("৩", None, "数字"),  # Bengali
        ("²", None, "数字"),
        ("1_0", None, "数字"),
        ("3.0", None, "数字"),
        ("-1", None, "0 から 2,147,483,647"),
        ("99999999999999999999999", None, "0 から 2,147,483,647"),
        ("9" * 5000, None, "0 から 2,147,483,647"),
    ],
)
def test_only_ascii_and_full_width_digits_are_digits(admin_client, value, saved, message):
    data = post_data(MALLS["yahoo_shopping"])
    data[VERSION] = value
    response = admin_client.post(reverse("shops:create", args=["yahoo_shopping"]), data)
    if saved is not None:
        assert response.status_code == 302
        assert Shop.objects.get().settings["yahoo_api.public_key_version"] == saved
    else:
        assert response.status_code == 200
        errors = errors_of(response, VERSION)
        assert "「公開鍵バージョン」" in errors and message in errors, errors
        assert_nothing_saved()


@pytest.mark.parametrize("port", ["70000", "０", "１２３４５６７８９０１２３４５６７８９０"])
def test_a_port_out_of_range_is_refused(admin_client, port):
    data = post_data(MALLS["rakuten"])
    data["ftp__port"] = port
    response = admin_client.post(CREATE, data)
    assert "1 から 65535" in errors_of(response, "ftp__port")
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("field", "limit", "label"),
    [
        ("name", 200, "ショップ名(正式名称)"),
        ("short_name", 100, "ショップ名(略称)"),
        ("manager_name", 100, "ショップ店長名"),
        ("ftp__user", 255, "FTPユーザーID"),
        ("rakuten_api__service_secret", 255, "serviceSecret"),
    ],
)
def test_a_value_longer_than_its_column_is_refused_naming_the_field(
    admin_client, field, limit, label
):
    data = post_data(MALLS["rakuten"])
    data[field] = "あ" * (limit + 1)
    response = admin_client.post(CREATE, data)
    message = errors_of(response, field)
    assert f"「{label}」は {limit} 文字以内" in message, message
    assert_nothing_saved()


def test_expiry_recipients_longer_once_joined_are_refused(admin_client):
    # 500 characters as typed; ", " between the addresses makes it longer than the column.
    addresses = " ".join(f"a{i:03d}@example.jp" for i in range(34))[:500].rsplit(" ", 1)[0]
    assert len(addresses) <= 500 and len(", ".join(addresses.split())) > 500
    data = post_data(MALLS["rakuten"])
    data["notify_emails"] = addresses
    response = admin_client.post(CREATE, data)
    assert "「期限通知メールの送信先」は 500 文字以内" in errors_of(response, "notify_emails")
    assert_nothing_saved()


# ---- the product form --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "SAVA-1\u200b", "「商品コード」に見えない文字"),
        ("code", "\ufeffSAVA-1", "「商品コード」に見えない文字"),
        ("code", "SAVA\n1", "「商品コード」に改行"),
        ("code", "S" * 101, "「商品コード」は 100 文字以内"),
        ("name", "さば\u202e缶", "「商品名」に見えない文字"),
        ("expected_stock", "٣", "数字"),
        ("expected_stock", "99999999999", "-2,147,483,648 から 2,147,483,647"),
    ],
)
def test_the_product_form_refuses_hostile_values(operator_client, field, value, message):
    data = {"code": "SAVA-1", "name": "さば缶", "expected_stock": "5", field: value}
    response = operator_client.post(reverse("orders:product_new"), data)
    assert response.status_code == 200
    assert message in errors_of(response, field)
    assert not Product.objects.exists()


def test_the_product_form_takes_full_width_digits(operator_client):
    data = {"code": "SAVA-1", "name": "さば缶", "expected_stock": "－１２"}
    operator_client.post(reverse("orders:product_new"), data)
    assert Product.objects.get().expected_stock == -12


# ---- property: any value in any field of any mall ---------------------------------------------

CONTROLS = [chr(c) for c in range(32)] + ["\x7f", "\x85", "\u2028", "\u2029"]
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202e", "\u2066"]
INVISIBLES += ["\u2069", "\u200e", "\u061c", "\u00ad", "\u180e", "\u3164", "\U000e0041"]
EXTREMES = [
    "0001-01-01",
    "9999-12-31",
    "1999-12-31",
    "2101-01-01",
    "275760-09-13",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "٣",
    "１２３",
    "1_000",
    " ",
    "\u3000",
    "x" * 256,
    "あ" * 5000,
    "https://www.rakuten.co.jp/savaway/",
    "store-savaway",
    "a@example.jp",
    "1",
    "True",
    "<script>alert(1)</script>",
    "'; DROP TABLE shops_shop; --",
]
ANY_CHAR = st.characters(exclude_categories=("Cs",))  # a browser cannot send a lone surrogate
HOSTILE = st.one_of(
    st.sampled_from(EXTREMES),
    st.text(ANY_CHAR, max_size=40),
    st.builds(
        lambda head, odd, tail: head + odd + tail,
        st.sampled_from(["", "savaway", "SL000001_key", "2026-11-01", "22", "テスト"]),
        st.sampled_from(CONTROLS + INVISIBLES),
        st.sampled_from(["", "x", "2026", "\u200b", "ショップ"]),
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
COMMON_FIELDS = list(ShopForm.Meta.fields)
TARGETS = [(mall, name) for mall in registry.codes() for name in COMMON_FIELDS] + [
    (mall, ShopForm.field_name(section, spec))
    for mall in registry.codes()
    for section, spec in registry.get(mall).fields()
]
CLEAN_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # the same examples on every run
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def expected(value: str) -> str:
    """What a saved text becomes: invisible characters removed, outer spaces stripped."""
    return "".join(c for c in value if not F.is_invisible(c)).strip()


def has_control(value: str, multiline: bool) -> bool:
    return any(F.is_control(c) and not (multiline and c in "\r\n") for c in value)


def field_info(mall, name):
    """(label, spec or None) of a form field."""
    connector = registry.get(mall)
    for section, spec in connector.fields():
        if ShopForm.field_name(section, spec) == name:
            return spec.label, spec
    return Shop._meta.get_field(name).verbose_name, None


def stored_value(shop, mall, name):
    label, spec = field_info(mall, name)
    if spec is None:
        return getattr(shop, name)
    section = next(s for s, f in registry.get(mall).fields() if f is spec)
    fid = section.field_id(spec)
    if spec.secret:
        return shop.get_secrets().get(fid, "")
    return shop.settings.get(fid, "")


def round_trip_post(client, shop) -> dict:
    """The edit form posted back exactly as the page shows it."""
    form = client.get(reverse("shops:edit", args=[shop.code])).context["form"]
    data = {}
    for name in form.fields:
        if name.endswith("__clear"):
            continue
        value = form[name].value()
        data[name] = "" if value is None else str(value)
    return data


def check_one(client, mall, name, value, *, existing):
    """Post one hostile value; assert the outcome; leave the database as it was."""
    label, spec = field_info(mall, name)
    multiline = bool(spec and spec.multiline)
    with transaction.atomic():
        if existing:
            base = client.post(reverse("shops:create", args=[mall]), post_data(MALLS[mall]))
            assert base.status_code == 302
            shop = Shop.objects.get()
            before = (
                {f: getattr(shop, f) for f in COMMON_FIELDS},
                dict(shop.settings),
                shop.secrets,
                list(CredentialExpiry.objects.values_list("expires_at", "issued_at")),
                ShopChange.objects.count(),
            )
            url = reverse("shops:edit", args=[shop.code])
        else:
            url = reverse("shops:create", args=[mall])
        data = post_data(MALLS[mall])
        data[name] = value
        response = client.post(url, data)  # a 500 raises here
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            form = response.context["form"]
            assert form.errors, "refused without saying why"
            if has_control(value, multiline):
                assert f"「{label}」" in " ".join(form.errors.get(name, [])), form.errors
            if existing:
                shop.refresh_from_db()
                after = (
                    {f: getattr(shop, f) for f in COMMON_FIELDS},
                    dict(shop.settings),
                    shop.secrets,
                    list(CredentialExpiry.objects.values_list("expires_at", "issued_at")),
                    ShopChange.objects.count(),
                )
                assert after == before  # nothing half-saved
            else:
                assert_nothing_saved()
        else:
            assert not has_control(value, multiline)
            shop = Shop.objects.get()
            saved = stored_value(shop, mall, name)
            if isinstance(saved, str):
                assert not any(F.is_control(c) and c not in "\r\n" for c in saved)
                assert not any(F.is_invisible(c) for c in saved)
                if spec is not None and spec.kind in (F.TEXT, F.SECRET, F.HOST) and expected(value):
                    assert saved == expected(value)
            if isinstance(saved, int) and not isinstance(saved, bool):
                low, high = spec.bounds
                assert low <= saved <= high
            # The page shows what was saved, and posting it back changes nothing.
            changes = ShopChange.objects.count()
            again = client.post(
                reverse("shops:edit", args=[shop.code]), round_trip_post(client, shop)
            )
            assert again.status_code == 302, again.context["form"].errors
            assert ShopChange.objects.count() == changes
        transaction.set_rollback(True)


@CLEAN_SETTINGS
@given(target=st.sampled_from(TARGETS), value=HOSTILE)
def test_property_registering_a_shop_saves_or_refuses_never_half(admin_client, target, value):
    check_one(admin_client, *target, value, existing=False)


@CLEAN_SETTINGS
@given(target=st.sampled_from(TARGETS), value=HOSTILE)
def test_property_editing_a_shop_saves_or_refuses_never_half(admin_client, target, value):
    check_one(admin_client, *target, value, existing=True)


def test_the_property_targets_cover_every_field_of_every_mall():
    for mall in registry.codes():
        names = {name for m, name in TARGETS if m == mall}
        assert set(COMMON_FIELDS) <= names
        assert len(names) == len(COMMON_FIELDS) + len(list(registry.get(mall).fields()))


# ---- sweep: every field of every mall gets each kind of hostile value -------------------------

SWEEP = {
    "control": "savaway\r\nBcc: x@example.jp",
    "invisible": "\ufeffsavaway\u200b",
    "huge number": "9" * 40,
    "other digits": "٣٢",
    "early date": "0001-01-01",
    "late date": "9999-12-31",
    "long": "x" * 5000,
}


@pytest.mark.parametrize("mall", registry.codes())
def test_every_field_of_every_mall_cleans_or_refuses_each_hostile_kind(mall):
    """Through the form itself (no HTTP, so that every field gets every kind in CI's time)."""
    connector = registry.get(mall)
    for name in [n for m, n in TARGETS if m == mall]:
        label, spec = field_info(mall, name)
        multiline = bool(spec and spec.multiline)
        for kind, value in SWEEP.items():
            data = post_data(MALLS[mall])
            data[name] = value
            form = ShopForm(data=data, connector=connector)
            with transaction.atomic():
                if not form.is_valid():
                    if has_control(value, multiline):
                        assert f"「{label}」" in " ".join(form.errors.get(name, [])), (name, kind)
                    transaction.set_rollback(True)
                    continue
                assert not has_control(value, multiline), (name, kind)
                if kind == "invisible":
                    assert any(f"「{label}」" in w for w in form.warnings), (name, form.warnings)

                shop = store.create(connector, form.edit())
                saved = stored_value(shop, mall, name)
                if isinstance(saved, str):
                    assert not any(F.is_invisible(c) or F.is_control(c) for c in saved), name
                    assert len(saved) <= (spec.max_length if spec else 500), name
                if isinstance(saved, int) and not isinstance(saved, bool):
                    assert spec.bounds[0] <= saved <= spec.bounds[1], name
                transaction.set_rollback(True)
