"""Real servers on loopback for connection tests: FTP (pyftpdlib), SFTP (paramiko), HTTP."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import paramiko
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- FTP ----------------------------------------------------------------------------------


class FtpServer:
    def __init__(self, root, user, password):
        authorizer = DummyAuthorizer()
        authorizer.add_user(user, password, str(root), perm="elr")
        handler = type("Handler", (FTPHandler,), {})
        handler.authorizer = authorizer
        handler.passive_ports = range(60000, 60200)
        handler.banner = "test FTP ready"
        handler.auth_failed_timeout = 0.1  # pyftpdlib delays failures 3 s by default
        self.server = ThreadedFTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"timeout": 0.2}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.close_all()
        self.thread.join(5)


# ---- SFTP ---------------------------------------------------------------------------------


class _StubSFTP(paramiko.SFTPServerInterface):
    def __init__(self, server, *args, root, **kwargs):
        super().__init__(server, *args, **kwargs)
        self.root = root

    def _real(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def canonicalize(self, path):
        return "/" + path.strip("/.")

    def list_folder(self, path):
        real = self._real(path)
        return [
            paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(real, name)), name)
            for name in os.listdir(real)
        ]

    def stat(self, path):
        return paramiko.SFTPAttributes.from_stat(os.stat(self._real(path)))

    lstat = stat


class _SshServer(paramiko.ServerInterface):
    def __init__(self, owner):
        self.owner = owner

    def check_auth_password(self, username, password):
        self.owner.auth_attempts.append(username)
        if (username, password) == (self.owner.user, self.owner.password):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return (
            paramiko.OPEN_SUCCEEDED
            if kind == "session"
            else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        )


class SftpServer:
    """A paramiko SSH server with an SFTP subsystem over a directory."""

    def __init__(self, root, user, password, host_key=None, port=0):
        self.root, self.user, self.password = str(root), user, password
        self.host_key = host_key or paramiko.ECDSAKey.generate()
        self.auth_attempts: list[str] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.transports = []

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            transport = paramiko.Transport(conn)
            transport.add_server_key(self.host_key)
            transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _StubSFTP, root=self.root)
            self.transports.append(transport)
            try:
                transport.start_server(server=_SshServer(self))
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(5)
        for t in self.transports:
            t.close()
        self.sock.close()


# ---- HTTP ---------------------------------------------------------------------------------


class HttpServer:
    """routes: {(method, path): handler(request) -> (status, headers, body)}; requests logged."""

    def __init__(self, routes):
        self.routes = routes
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                request = {
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": dict(self.headers),
                    "body": body.decode(),
                }
                owner.requests.append(request)
                route = owner.routes.get((method, path))
                if route is None:
                    status, headers, payload = 404, {}, b"not found"
                else:
                    status, headers, payload = route(request)
                if isinstance(payload, dict | list):
                    payload = json.dumps(payload).encode()
                    headers = {"Content-Type": "application/json", **headers}
                elif isinstance(payload, str):
                    payload = payload.encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def slow(seconds, response):
    def handler(request):
        time.sleep(seconds)
        return response(request) if callable(response) else response

    return handler
