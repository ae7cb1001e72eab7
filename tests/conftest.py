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


@pytest.fixture
def operator(make_user):
    return make_user(
        "operator",
        "view_shop",
        "add_shop",
        "change_shop",
        "view_order",
        "add_order",
        "view_product",
        "add_product",
        "change_product",
    )


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
