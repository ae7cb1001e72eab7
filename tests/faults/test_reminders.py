"""Reminder runs in a real worker against an SMTP server that misbehaves: it drops the
connection after taking a message (no reply to the end of DATA), refuses the end of DATA
with a temporary error, or is slow. After each: every reminder is sent, and the only
duplicates are the dropped ones (docs/reliability.md: the one duplicate window)."""

import math
from collections import Counter

import pytest

from .smtp import Smtp

pytestmark = pytest.mark.faults


def claims(stack):
    return stack.call("claims")["rows"]


def all_sent(stack, n):
    rows = claims(stack)
    return len(rows) == n and all(r["status"] == "sent" for r in rows) and rows


def test_smtp_drops_after_data_or_refuses_it(make_stack, record_fault):
    # The 3rd, 6th and 9th messages are taken and then the connection drops; the 5th end of
    # DATA is answered 451 (not taken).
    with Smtp(drop={3, 6, 9}, refuse={5}) as smtp:
        stack = make_stack(EMAIL_URL=smtp.url, REMINDER_RETRY_AFTER="0")
        stack.call("reminder_shops", n=10, days_left=5)
        stack.start_worker(concurrency=2)
        stack.call("reminder_run")
        first = stack.wait_until(
            lambda: (
                (rows := claims(stack))
                and len(rows) == 10
                and all(r["status"] in ("sent", "failed") for r in rows)
                and rows
            ),
            60,
            "the first run",
        )
        failed = [r for r in first if r["status"] == "failed"]
        assert len(failed) == 4, first
        uncertain = [r for r in failed if r["last_error"].startswith("no reply")]
        assert len(uncertain) == 3
        stack.call("reminder_run")  # the next scheduled run (10 minutes later)
        stack.wait_until(lambda: all_sent(stack, 10), 60, "every reminder sent")
    ids = Counter(smtp.message_ids())
    assert len(ids) == 10  # every reminder arrived
    assert sorted(ids.values()) == [1] * 7 + [2] * 3  # the dropped ones, twice
    assert sum(ids.values()) == 13
    record_fault(
        "SMTP takes 3 messages then drops before replying; refuses 1 with 451",
        reminders=10,
        sent=10,
        delivered=13,
        duplicates=3,
        note="duplicates = the 3 whose reply was lost (same Message-ID); the 451 one: none",
    )


def test_slow_smtp_is_sent_in_chunks_under_the_time_budget(make_stack, record_fault):
    n, chunk = 20, 4
    with Smtp(delay=0.5) as smtp:
        stack = make_stack(
            EMAIL_URL=smtp.url, REMINDER_RUN_SECONDS="2", REMINDER_CHUNK_SIZE=str(chunk)
        )
        stack.call("reminder_shops", n=n, days_left=5)
        stack.start_worker(concurrency=2)
        stack.call("reminder_run")  # one run; it hands the rest to follow-up runs itself
        stack.wait_until(lambda: all_sent(stack, n), 120, "every reminder sent")
    runs = stack.task_runs("shops.send_expiry_reminders")
    ids = Counter(smtp.message_ids())
    assert len(ids) == n and set(ids.values()) == {1}  # exactly once each
    assert runs > 1  # the budget stopped the first run; follow-ups finished the job
    # One connection per chunk: each run opens ceil(sent / chunk) connections.
    assert smtp.connections <= math.ceil(n / chunk) + runs
    record_fault(
        "SMTP answers each message after 0.5 s; run budget 2 s, chunks of 4",
        reminders=n,
        sent=n,
        delivered=sum(ids.values()),
        duplicates=0,
        runs=runs,
        smtp_connections=smtp.connections,
    )
