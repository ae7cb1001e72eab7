"""{% expiry_timeline %}: the next 120 days of tracked expiries, one row per shop, drawn as a
server-side SVG (no script, no inline style: the strict CSP holds)."""

from collections import OrderedDict
from datetime import timedelta

from django import template
from django.db.models import Min
from django.utils import timezone

from connectors.base import registry
from shops.expiry import last_day, readable
from shops.models import CredentialExpiry

register = template.Library()

DAYS = 120
LABEL_W, DAY_W, ROW_H, TOP = 150, 6, 26, 28
MAX_SHOPS = 40


@register.inclusion_tag("monitoring/expiry_timeline.html", takes_context=True)
def expiry_timeline(context, days: int = DAYS):
    today = timezone.localdate()
    end = today + timedelta(days=days)
    window = readable(CredentialExpiry.objects.all()).filter(
        expires_at__lte=timezone.now() + timedelta(days=days + 1)
    )
    # The MAX_SHOPS shops whose first expiry comes soonest, chosen in SQL: the page stays
    # fast however many shops there are (the rest are counted).
    firsts = window.values("shop_id").annotate(first=Min("expires_at")).order_by("first", "shop_id")
    total = firsts.count()
    chosen = [r["shop_id"] for r in firsts[:MAX_SHOPS]]
    rows = (
        window.filter(shop_id__in=chosen)
        .select_related("shop")
        .defer("shop__secrets", "shop__settings", "shop__secret_hints")
        .order_by("expires_at", "pk")
    )
    shops: OrderedDict = OrderedDict()
    for row in rows:
        shop = row.shop
        if shop.mall not in registry:
            continue
        day = last_day(row.expires_at)
        if day > end:
            continue
        try:
            section = shop.connector.section(row.section)
            label = f"{section.title} / {section.expiry(row.credential).label}"
        except LookupError:
            label = f"{row.section}.{row.credential}"
        left = (day - today).days
        shops.setdefault(shop.pk, {"shop": shop, "marks": []})["marks"].append(
            {
                "day": day,
                "left": left,
                "label": label,
                "x": LABEL_W + max(left, 0) * DAY_W,
                "kind": "expired" if left < 0 else "soon" if left <= 7 else "later",
                "section": section.key if shop.mall in registry else row.section,
            }
        )
    lanes = list(shops.values())[:MAX_SHOPS]
    more = max(0, total - len(chosen))
    for i, lane in enumerate(lanes):
        lane["y"] = TOP + i * ROW_H
        lane["mid"] = lane["y"] + ROW_H // 2
        for mark in lane["marks"]:
            mark["y"] = lane["y"] + 5
    width = LABEL_W + days * DAY_W + 10
    ticks = []
    for offset in range(0, days + 1, 15):
        ticks.append({"x": LABEL_W + offset * DAY_W, "day": today + timedelta(days=offset)})
    return {
        "perms": context.get("perms"),  # the shop links follow what the user may open
        "lanes": lanes,
        "more": more,
        "width": width,
        "height": TOP + max(len(lanes), 1) * ROW_H + 6,
        "ticks": ticks,
        "label_w": LABEL_W,
        "days": days,
        "row_h": ROW_H,
        "today": today,
        "end": end,
    }
