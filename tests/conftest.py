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


# A mall's local provider, used by the expiry and sign-in tests too.
from tests.connectors.test_yahoo_shopping import yahoo_provider  # noqa: E402, F401
