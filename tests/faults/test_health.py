"""/healthz under faults, from a web node on the private servers: it fails only without the
database, and answers within a second even when the database hangs (every PostgreSQL process
stopped with SIGSTOP, so connections neither answer nor fail)."""

import pytest

pytestmark = pytest.mark.faults


def test_health_answers_within_a_second_whatever_is_down(make_stack, pg, redis, record_fault):
    stack = make_stack()
    up = stack.call("get", path="/healthz")
    assert up["status"] == 200 and up["body"]["broker"] == "ok", up

    redis.stop()  # the broker down: pages still work, so the node stays in the pool
    no_broker = stack.call("get", path="/healthz")
    assert no_broker["status"] == 200 and no_broker["body"]["broker"].startswith("error")
    assert no_broker["seconds"] < 1.0
    redis.start()

    with pg.frozen():  # the database hangs
        hung = stack.call("get", path="/healthz")
    assert hung["status"] == 503 and hung["body"]["database"] == "error: timeout", hung
    assert hung["seconds"] < 1.0

    pg.stop("fast")  # the database down
    down = stack.call("get", path="/healthz")
    pg.start()
    assert down["status"] == 503 and down["body"]["database"].startswith("error")
    assert down["seconds"] < 1.0
    again = stack.call("get", path="/healthz")
    assert again["status"] == 200, again  # a new connection replaces the broken one
    record_fault(
        "/healthz: broker down / database hung (SIGSTOP) / database down",
        answers=f"200 in {no_broker['seconds']:.2f} s / 503 in {hung['seconds']:.2f} s / "
        f"503 in {down['seconds']:.2f} s",
    )
