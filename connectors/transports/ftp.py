"""FTP login check with ftplib: log in, then list the directory over a data connection."""

from __future__ import annotations

import ftplib

from ..checks import CheckResult, from_exception


def check_ftp(
    address: str, port: int, user: str, password: str, *, passive: bool, timeout: float
) -> CheckResult:
    ftp = ftplib.FTP(timeout=timeout)
    try:
        ftp.connect(address, port)
        welcome = (ftp.getwelcome() or "")[:80]
        try:
            ftp.login(user, password)
        except ftplib.error_perm as exc:
            code = str(exc)[:3]
            if code in ("530", "331", "332"):
                return CheckResult.fail("auth_failed", f"FTP {code}")
            return CheckResult.fail("unexpected", f"FTP login: {code}")
        ftp.set_pasv(passive)
        try:
            # A listing opens a data connection: this is where passive/active mode matters.
            ftp.nlst()
        except ftplib.error_perm as exc:
            if not str(exc).startswith("550"):  # 550: an empty directory on some servers
                return CheckResult.fail("unexpected", f"FTP list: {str(exc)[:3]}")
        mode = "passive" if passive else "active"
        return CheckResult.ok(f"FTP {address}:{port}, {mode} mode; {welcome}")
    except ftplib.error_temp as exc:
        return CheckResult.fail("unreachable", f"FTP {str(exc)[:3]}", transient=True)
    except ftplib.Error as exc:
        return CheckResult.fail("unexpected", f"FTP {str(exc)[:3]}")
    except OSError as exc:
        return from_exception(exc)
    finally:
        try:
            ftp.quit()
        except Exception:  # noqa: BLE001 - the connection may already be gone
            pass
        ftp.close()
