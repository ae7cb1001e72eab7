import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_demo_users_refused_outside_debug():
    with pytest.raises(CommandError):
        call_command("ensure_demo_users")


def test_demo_users_created_once_and_can_log_in(settings, capsys):
    settings.DEBUG = True
    call_command("ensure_demo_users")
    call_command("ensure_demo_users")
    out = capsys.readouterr().out
    assert "admin / tempostar-admin" in out and "operator / tempostar-operator" in out
    admin = authenticate(username="admin", password="tempostar-admin")
    operator = authenticate(username="operator", password="tempostar-operator")
    assert admin.is_superuser
    assert operator.has_perms(["shops.add_shop", "shops.change_shop", "shops.view_shop"])
    assert not operator.has_perm("shops.delete_shop")
