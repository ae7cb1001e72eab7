import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def login(username, password):
    # The lockout backend needs the request, as the login page gives it.
    return authenticate(RequestFactory().post("/login/"), username=username, password=password)


def test_demo_users_refused_outside_debug():
    with pytest.raises(CommandError):
        call_command("ensure_demo_users")


def test_demo_users_created_once_and_can_log_in(settings, capsys):
    settings.DEBUG = True
    call_command("ensure_demo_users")
    call_command("ensure_demo_users")
    out = capsys.readouterr().out
    assert "admin / tempostar-admin" in out and "operator / tempostar-operator" in out
    assert "viewer / tempostar-viewer" in out
    admin = login("admin", "tempostar-admin")
    operator = login("operator", "tempostar-operator")
    viewer = login("viewer", "tempostar-viewer")
    assert admin.is_superuser
    assert operator.has_perms(["shops.add_shop", "shops.change_shop", "shops.view_shop"])
    assert not operator.has_perm("shops.delete_shop")
    assert not operator.has_perm("shops.change_credentials")
    assert viewer.has_perm("shops.view_shop") and not viewer.has_perm("shops.add_shop")
    assert [g.name for g in operator.groups.all()] == ["オペレーター"]


def test_demo_data_fills_an_empty_console_and_keeps_the_demo_logins(settings, capsys):
    from orders.models import Order
    from shops.models import Shop

    with pytest.raises(CommandError):
        call_command("load_demo_data")  # outside DEBUG
    settings.DEBUG = True
    with pytest.raises(CommandError, match="ensure_demo_users"):
        call_command("load_demo_data")
    call_command("ensure_demo_users")
    call_command("load_demo_data")
    shops = Shop.objects.count()
    assert shops >= 4 and Order.objects.exists()
    assert Shop.objects.filter(mall="rakuten").exists()
    # The logins printed by `make run` still work; a second run adds nothing.
    assert login("operator", "tempostar-operator") is not None
    assert login("admin", "tempostar-admin").is_superuser
    call_command("load_demo_data")
    assert Shop.objects.count() == shops
    assert "skipped" in capsys.readouterr().out
