"""Two-factor sign-in (django-otp): administrators cannot sign in with a password alone when
MFA_REQUIRED is on; codes come from a TOTP app (computed here with pyotp) or recovery codes;
wrong codes count towards the login lockout (django-axes)."""

import os
import re
import subprocess
import sys
import time
from base64 import b32encode
from datetime import datetime, timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from tests.test_settings import ROOT
from twofactor import devices

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mfa_on(settings):
    settings.MFA_REQUIRED = True


def login(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def totp_for(user) -> pyotp.TOTP:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return pyotp.TOTP(b32encode(device.bin_key).decode())


def enrolled(user):
    device = devices.start_totp(user)
    totp = pyotp.TOTP(b32encode(device.bin_key).decode())
    assert devices.confirm_totp(device, totp.now())
    codes = devices.new_recovery_codes(user)
    # The code just used cannot be used again: later logins wait for the next step.
    return totp, codes


def signed_in(client) -> bool:
    response = client.get(reverse("shops:list"))
    return response.status_code == 200


def test_an_administrator_cannot_sign_in_with_a_password_alone(manager):
    client = Client()
    response = login(client, "manager")
    assert response.status_code == 302 and response["Location"] == reverse("twofactor:enroll")
    assert not signed_in(client)
    # Every page still asks for a login; the admin site too, and its own login page leads to
    # the console's (which asks for the second factor).
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith(reverse("login"))


def test_enrolment_during_login_then_recovery_codes(manager):
    client = Client()
    login(client, "manager")
    page = client.get(reverse("twofactor:enroll"))
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.content.decode()).group(1)
    totp = pyotp.TOTP(secret.replace(" ", ""))
    wrong = client.post(reverse("twofactor:enroll"), {"code": "000000"})
    assert wrong.status_code == 400 and not signed_in(client)
    # django-otp slows down guessing: after a wrong code the next try waits a second.
    with time_machine.travel(time.time() + 5, tick=False):
        response = client.post(reverse("twofactor:enroll"), {"code": totp.now()})
    assert response["Location"] == reverse("twofactor:recovery_codes")
    codes_page = client.get(response["Location"]).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", codes_page)
    assert len(codes) == 10
    assert signed_in(client)
    # Shown once.
    assert client.get(reverse("twofactor:recovery_codes")).status_code == 302


def test_verify_with_the_app_code(manager):
    totp, _codes = enrolled(manager)
    client = Client()
    response = login(client, "manager")
    assert response["Location"] == reverse("twofactor:verify")
    assert not signed_in(client)
    # The enrolment used this step's code; the app's next code is accepted (one step of drift).
    response = client.post(reverse("twofactor:verify"), {"code": totp.at(time.time() + 30)})
    assert response.status_code == 302, response.content.decode()[:500]
    assert signed_in(client)


def test_a_recovery_code_works_once(manager):
    _totp, codes = enrolled(manager)
    first = Client()
    login(first, "manager")
    assert first.post(reverse("twofactor:verify"), {"code": codes[0].upper()}).status_code == 302
    assert signed_in(first)
    second = Client()
    login(second, "manager")
    assert second.post(reverse("twofactor:verify"), {"code": codes[0]}).status_code == 400
    assert not signed_in(second)


def test_wrong_codes_lock_the_account_like_wrong_passwords(manager, settings):
    totp, _codes = enrolled(manager)
    client = Client()
    login(client, "manager")
    responses = [
        client.post(reverse("twofactor:verify"), {"code": "123456"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert responses[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert responses[-1] == 429
    # Locked: neither the password step nor a correct code gets in now.
    again = Client()
    assert login(again, "manager").status_code == 429
    assert not signed_in(again)
    # The locked-out second step was ended: a correct code now leads back to the password.
    locked_out = client.post(reverse("twofactor:verify"), {"code": totp.now()})
    assert locked_out["Location"] == reverse("login") and not signed_in(client)


def test_an_operator_without_a_second_factor_signs_in_with_a_password(operator):
    client = Client()
    assert login(client, "operator")["Location"] == reverse("shops:list")
    assert signed_in(client)


def test_with_mfa_off_administrators_sign_in_with_a_password(manager, settings):
    settings.MFA_REQUIRED = False
    client = Client()
    assert login(client, "manager")["Location"] == reverse("shops:list")


def test_a_user_turns_it_on_and_then_needs_the_code(operator):
    client = Client()
    client.force_login(operator)
    # Opening the page creates nothing; the button starts the setup.
    client.get(reverse("twofactor:settings") + "?setup=1")
    assert not devices.totp_device(operator, confirmed=False)
    started = client.post(reverse("twofactor:settings"), {"action": "start"})
    assert started["Location"] == reverse("twofactor:settings") + "?setup=1"
    page = client.get(started["Location"]).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    response = client.post(
        reverse("twofactor:settings"), {"action": "confirm", "code": pyotp.TOTP(secret).now()}
    )
    assert response["Location"] == reverse("twofactor:recovery_codes")
    assert devices.has_second_factor(operator)
    # The codes wait for their page encrypted in the session, then are shown once.
    from django.contrib.sessions.models import Session

    stored = str(Session.objects.get(session_key=client.session.session_key).get_decoded())
    shown = client.get(reverse("twofactor:recovery_codes")).content.decode()
    listed = re.search(r'id="recovery-codes">(.*?)</ul>', shown, re.S).group(1)
    codes = re.findall(r"<li>([^<]+)</li>", listed)
    assert len(codes) >= 5 and not any(code in stored for code in codes)
    assert client.get(reverse("twofactor:recovery_codes")).status_code == 302  # once
    # A passkey id that is not a number removes nothing and is no error.
    for odd, code in zip(("abc", "²", "1 OR 1=1"), codes, strict=False):
        removed = client.post(
            reverse("twofactor:settings"),
            {"action": "remove_passkey", "code": code, "passkey": odd},
        )
        assert removed.status_code == 302
    assert devices.recovery_codes_left(operator) == len(codes) - 3  # each step was accepted
    fresh = Client()
    assert login(fresh, "operator")["Location"] == reverse("twofactor:verify")
    # Turning it off asks for a current code.
    off = client.post(reverse("twofactor:settings"), {"action": "disable", "code": "000000"})
    assert off.status_code == 302 and devices.has_second_factor(operator)


def test_the_pending_step_expires(manager):
    totp, _codes = enrolled(manager)
    client = Client()
    login(client, "manager")
    with time_machine.travel(datetime.now().astimezone() + timedelta(minutes=11)):
        response = client.post(reverse("twofactor:verify"), {"code": totp.now()})
    assert response["Location"] == reverse("login")
    assert not signed_in(client)


def test_mfa_is_required_by_default_outside_debug(tmp_path):
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.MFA_REQUIRED)"
    )
    keys = {
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEYS": "q8Ha6c1mG5Z9nX3uP0sYb7Tf2Lk4Rv8Wd1Je6Cg0Ai4=",
    }
    for debug, expected in (("false", "True"), ("true", "False")):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "MFA"))}
        env.update(
            keys,
            DEBUG=debug,
            DJANGO_SETTINGS_MODULE="tempostar.settings",
            VAR_DIR=str(tmp_path),
            IGNORE_DOTENV="true",
        )
        out = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.stdout.strip() == expected, out.stderr


def test_passkey_endpoints_need_a_login_or_a_pending_one(manager, operator):
    anonymous = Client()
    begin = reverse("otp_webauthn:credential-registration-begin")
    assert anonymous.post(begin).status_code == 302  # registering needs a signed-in user
    auth_begin = reverse("otp_webauthn:credential-authentication-begin")
    refused = anonymous.post(auth_begin, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "no_login"
    assert anonymous.get(reverse("otp_webauthn:js-i18n-catalog")).status_code == 200
    # After the password step, the ceremony starts for that user only.
    enrolled(manager)
    pending = Client()
    login(pending, "manager")
    started = pending.post(auth_begin, content_type="application/json")
    assert started.status_code == 200 and "challenge" in started.json()
    # A made-up assertion is refused and counts as a failed login.
    from axes.models import AccessAttempt

    complete = reverse("otp_webauthn:credential-authentication-complete")
    bad = pending.post(
        complete,
        {"id": "x", "rawId": "x", "response": {}, "type": "public-key"},
        content_type="application/json",
    )
    assert bad.status_code >= 400
    assert AccessAttempt.objects.filter(username="manager").get().failures_since_start == 1
    assert not signed_in(pending)


def test_an_enrolled_user_must_pass_the_second_factor_to_add_a_passkey(manager):
    enrolled(manager)
    client = Client()
    client.force_login(manager)  # a password-only session, never verified
    response = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert response.status_code == 403
