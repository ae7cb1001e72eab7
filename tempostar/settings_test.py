"""Settings for the test suite: the real settings with test-only defaults.

Environment variables still win, so CI can point the same suite at PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("IGNORE_DOTENV", "true")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# A fixed Fernet key used only by the test suite.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "q8Ha6c1mG5Z9nX3uP0sYb7Tf2Lk4Rv8Wd1Je6Cg0Ai4=")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="tempostar-test-"))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("EMAIL_URL", "memorymail://")
# The test client speaks plain HTTP, and static files are served from the source folders.
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
# Password-only logins for the suite's own users; the two-factor tests turn it on.
os.environ.setdefault("MFA_REQUIRED", "false")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

CONNECTION_GUARD_ALLOW_LOOPBACK = True  # local test servers; never in production
CONNECTION_CHECK_TIMEOUT = 2.0
CONNECTION_CHECK_RETRIES = 0

# A file (not in-memory) SQLite test database, so a real worker process can share it.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
