"""SFTP login check with paramiko, with the host key pinned after the first success."""

from __future__ import annotations

import base64
import hashlib
import socket

import paramiko

from ..checks import CheckResult, from_exception


def fingerprint(key: paramiko.PKey) -> str:
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


def check_sftp(
    address: str, port: int, user: str, password: str, *, known_key: str | None, timeout: float
) -> CheckResult:
    """Log in and list the home directory.

    known_key: the fingerprint stored by an earlier success; a different key fails before
    the password is sent. Without one, a successful check returns the key to store.
    """
    sock = None
    transport = None
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
        transport = paramiko.Transport(sock)
        transport.banner_timeout = transport.auth_timeout = timeout
        transport.handshake_timeout = timeout
        transport.start_client(timeout=timeout)
        key = fingerprint(transport.get_remote_server_key())
        if known_key and known_key != key:
            return CheckResult.fail(
                "host_key_changed",
                f"expected {known_key}, server sent {key}",
                info={"host_key": key},
            )
        try:
            transport.auth_password(user, password)
        except paramiko.AuthenticationException:
            return CheckResult.fail("auth_failed", "SSH password authentication refused")
        sftp = paramiko.SFTPClient.from_transport(transport)
        try:
            sftp.listdir(".")
        finally:
            sftp.close()
        return CheckResult.ok(f"SFTP {address}:{port}; host key {key}", info={"host_key": key})
    except paramiko.SSHException as exc:
        return CheckResult.fail("unreachable", f"SSH: {type(exc).__name__}", transient=True)
    except OSError as exc:
        return from_exception(exc)
    finally:
        if transport is not None:
            transport.close()
        if sock is not None:
            sock.close()
