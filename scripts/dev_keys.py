"""Write development keys under var/ once (DEBUG runs read them; see tempostar.settings).

Run by `make run`; safe to run again: existing keys are kept, so stored secrets stay readable.
Production never uses these files: it sets SECRET_KEY and FIELD_ENCRYPTION_KEYS.
"""

import os
import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    var = Path(os.environ.get("VAR_DIR") or ROOT / "var")
    var.mkdir(parents=True, exist_ok=True)
    keys = {
        "dev-secret-key": lambda: secrets.token_urlsafe(50),
        "dev-field-encryption-keys": lambda: Fernet.generate_key().decode(),
    }
    for name, make in keys.items():
        path = var / name
        if not path.exists():
            path.write_text(make())
            path.chmod(0o600)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
