"""Start-up configuration: run Django in a child process with a controlled environment."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.EMAIL_BACKEND, "
    "s.TIME_ZONE, s.LANGUAGE_CODE)"
)


def run_django(tmp_path, **env_vars):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    for name in (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "DEBUG",
        "CELERY_BROKER_URL",
        "EMAIL_URL",
        "TIME_ZONE",
        "ALLOWED_HOSTS",
    ):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="tempostar.settings", VAR_DIR=str(tmp_path), IGNORE_DOTENV="true"
    )
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_embedded_defaults_need_nothing_but_the_dev_keys_in_debug(tmp_path):
    # Reading the settings writes nothing: without development keys DEBUG says what to run.
    result = run_django(tmp_path, DEBUG="true")
    assert result.returncode != 0 and "make run" in result.stderr
    assert list(tmp_path.iterdir()) == []
    keys = subprocess.run(
        [sys.executable, "scripts/dev_keys.py"],
        cwd=ROOT,
        env={**os.environ, "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert keys.returncode == 0, keys.stderr
    result = run_django(tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.mail.backends.filebased.EmailBackend",
        "Asia/Tokyo",
        "ja",
    ]
    # The development keys stay the same when the script runs again.
    key_file = tmp_path / "dev-field-encryption-keys"
    key = key_file.read_text()
    Fernet(key.encode())
    subprocess.run(
        [sys.executable, "scripts/dev_keys.py"],
        cwd=ROOT,
        env={**os.environ, "VAR_DIR": str(tmp_path)},
        check=True,
    )
    assert run_django(tmp_path, DEBUG="true").returncode == 0
    assert key_file.read_text() == key


def test_missing_secret_key_stops_startup_outside_debug(tmp_path):
    result = run_django(tmp_path, FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_missing_encryption_keys_stop_startup_outside_debug(tmp_path):
    result = run_django(tmp_path, SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is not set" in result.stderr


def test_invalid_encryption_key_stops_startup_without_echoing_it(tmp_path):
    bad = "not-a-fernet-key-but-a-secret-value"
    result = run_django(
        tmp_path,
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{bad}",
    )
    assert result.returncode != 0
    assert "key #2 is not a valid Fernet key" in result.stderr
    assert bad not in result.stderr


def test_production_services_come_from_environment(tmp_path):
    result = run_django(
        tmp_path,
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="postgres://u:p@db.internal:5432/tempostar",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
        EMAIL_URL="smtp+tls://mailer:pw@smtp.internal:587",
        TIME_ZONE="UTC",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "redis://cache.internal:6379/0",
        "django.core.mail.backends.smtp.EmailBackend",
        "UTC",
        "ja",
    ]


def probe(tmp_path, code, **env_vars):
    """Run `code` after django.setup() in a child process with only `env_vars` set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    for name in ("EMAIL_URL", "SITE_URL", "PORT", "DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="tempostar.settings",
        VAR_DIR=str(tmp_path),
        IGNORE_DOTENV="true",
        SECRET_KEY="probe-secret-key",
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    env.update(env_vars)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_default_mail_files_land_in_var_mail(tmp_path):
    # With no EMAIL_URL, e-mails are files under VAR_DIR/mail: an absolute path, not a folder
    # named after the checkout's path created inside the checkout.
    out = probe(
        tmp_path,
        "from django.conf import settings as s; from django.core import mail; "
        "mail.send_mail('件名', '本文', 'from@example.jp', ['to@example.jp']); "
        "print(s.EMAIL_BACKEND); print(s.EMAIL_FILE_PATH)",
    )
    backend, path = out.splitlines()
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert path == str(tmp_path / "mail")
    assert len(list((tmp_path / "mail").iterdir())) == 1
    # The old bug's trace: a folder named after VAR_DIR's first component in the checkout.
    assert not (ROOT / tmp_path.parts[1]).exists()


def test_make_run_gives_links_the_port_it_serves_on(tmp_path):
    # Links in e-mails and the OAuth callback follow `make run PORT=...` unless SITE_URL is set.
    line = next(
        x
        for x in subprocess.run(
            ["make", "-n", "run", "PORT=8101"], cwd=ROOT, capture_output=True, text=True
        ).stdout.splitlines()
        if "scripts/run.sh" in x
    )
    assert "PORT=8101" in line  # make run hands the port to scripts/run.sh

    def site_url(env_file=None, **env):
        """What scripts/run.sh exports, run in a folder with or without a .env."""
        (tmp_path / "scripts").mkdir(exist_ok=True)
        (tmp_path / "scripts" / "site_url.sh").write_text(
            (ROOT / "scripts" / "site_url.sh").read_text()
        )
        (tmp_path / ".env").unlink(missing_ok=True)
        if env_file:
            (tmp_path / ".env").write_text(env_file)
        base = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
        result = subprocess.run(
            ["bash", "-c", ". scripts/site_url.sh; echo $SITE_URL"],
            cwd=tmp_path,
            env={**base, **env},
            capture_output=True,
            text=True,
        )
        return result.stdout.strip()

    assert site_url(PORT="8101") == "http://127.0.0.1:8101"
    assert site_url() == "http://127.0.0.1:8000"
    assert site_url(PORT="8101", SITE_URL="https://console.example.jp") == (
        "https://console.example.jp"
    )
    # A SITE_URL in .env is left for Django to read (run.sh exports nothing).
    assert site_url("SITE_URL=https://from-dotenv.example.jp\n", PORT="8101") == ""
    out = probe(
        tmp_path,
        "from django.conf import settings as s; print(s.SITE_URL)",
        SITE_URL="http://127.0.0.1:8101",
    )
    assert out == "http://127.0.0.1:8101"
