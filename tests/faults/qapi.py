"""A Qoo10 QAPI certification server for the fault tests (the protocol of
tests/connectors/test_qoo10.py: CertificationAPI.CreateCertificationKey, form user_id/pwd,
header GiosisCertificationKey, JSON ResultCode/ResultObject; then ItemsLookup.GetAllGoodsInfo
under the seller key). Every certification issues a new seller key, as Qoo10's does, and is
counted per user: a second call for a shop is a second key."""

from __future__ import annotations

import threading
import time
from collections import Counter
from urllib.parse import parse_qs

from tests.servers import HttpServer


class Qapi(HttpServer):
    def __init__(self, delay: float = 0.0, hold_user: str | None = None):
        self.calls: Counter = Counter()
        self.delay = delay
        self.hold_user = hold_user  # this user's first call waits until release()
        self.held = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.issued: set[str] = set()
        super().__init__(
            {
                ("POST", "/CertificationAPI.CreateCertificationKey"): self.certify,
                ("POST", "/ItemsLookup.GetAllGoodsInfo"): self.goods,
            }
        )

    def certify(self, request):
        form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
        user = form.get("user_id", "")
        with self._lock:
            self.calls[user] += 1
            n = self.calls[user]
        if user == self.hold_user and n == 1:
            self.held.set()
            self._release.wait(60)
        if self.delay:
            time.sleep(self.delay)
        if request["headers"].get("GiosisCertificationKey") != "qoo10-api-key":
            return 200, {}, {"ResultCode": -10001, "ResultMsg": "Invalid key", "ResultObject": ""}
        key = f"key-{user}-{n}"
        with self._lock:
            self.issued.add(key)
        return 200, {}, {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": key}

    def goods(self, request):
        if request["headers"].get("GiosisCertificationKey") not in self.issued:
            return 200, {}, {"ErrorCode": -90001, "ErrorMsg": "存在しないAPIです。"}
        result = {"TotalItems": 0, "TotalPages": 0, "PresentPage": 0, "Items": []}
        return 200, {}, {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": result}

    def release(self) -> None:
        self._release.set()

    def total(self) -> int:
        return sum(self.calls.values())
