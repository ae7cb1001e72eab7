"""An SMTP server (aiosmtpd) for the fault tests that misbehaves on purpose: it can take a
message and then drop the connection instead of answering the end of DATA (the sender cannot
know whether the message went through), refuse the end of DATA with a temporary error, or
answer slowly. It counts connections and keeps every message it accepted."""

from __future__ import annotations

import asyncio
import email
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from .services import free_port


class _Handler:
    def __init__(self, owner):
        self.owner = owner

    async def handle_DATA(self, server, session, envelope):
        owner = self.owner
        with owner.lock:
            owner.received += 1
            n = owner.received
        if n in owner.refuse:
            return "451 4.3.0 try again later"  # not taken: nothing is delivered
        if owner.delay:
            await asyncio.sleep(owner.delay)
        message = email.message_from_bytes(envelope.content)
        with owner.lock:
            owner.accepted.append(
                {"message_id": message["Message-ID"], "to": list(envelope.rcpt_tos)}
            )
        if n in owner.drop:
            server.transport.close()  # taken, but the reply never leaves
        return "250 2.0.0 OK"


class Smtp:
    def __init__(self, *, drop=(), refuse=(), delay: float = 0.0):
        self.drop, self.refuse, self.delay = set(drop), set(refuse), delay
        self.lock = threading.Lock()
        self.received = 0  # ends of DATA seen (the n-th one is dropped or refused)
        self.accepted: list[dict] = []
        self.connections = 0
        self.port = free_port()
        owner = self

        class CountingSMTP(SMTP):
            def connection_made(self, transport):
                with owner.lock:
                    owner.connections += 1
                super().connection_made(transport)

        class Ctl(Controller):
            def factory(self):
                return CountingSMTP(self.handler, **self.SMTP_kwargs)

        self.controller = Ctl(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["message_id"] for m in self.accepted]

    def __enter__(self):
        self.controller.start()
        with self.lock:
            self.connections = 0  # the controller's own check that the server is up
        return self

    def __exit__(self, *exc):
        self.controller.stop()
