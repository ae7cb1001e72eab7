"""A shop's edit page (/shops/<code>/edit/) for every mall: median server time and queries.

Target (issue B): under 30 ms median.
"""

from harness import setup, timed_get

REPEAT = 40
client = setup("edit")

from connectors.base import registry  # noqa: E402
from tests.mall_data import MALLS, post_data  # noqa: E402

worst = 0.0
for connector in registry.all():
    response = client.post(f"/shops/new/{connector.code}/", post_data(MALLS[connector.code]))
    assert response.status_code == 302, connector.code
    url = response["Location"]
    # A few edits so the page also renders some change history.
    for i in range(3):
        client.post(url, post_data(MALLS[connector.code], short_name=f"略称{i}"))
    queries, median, _p95 = timed_get(client, url, repeat=REPEAT)
    worst = max(worst, median)
    print(f"  {connector.code:<16} {queries:>2} queries   median {median:5.1f} ms")
print(f" worst median edit page: {worst:.1f} ms (target < 30 ms)")
