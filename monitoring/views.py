import hashlib
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from connectors.base import registry
from connectors.checks import message_for
from shops.checks import testable_sections
from shops.models import Shop

from . import calendar, notify
from .forms import DestinationForm
from .models import CalendarFeed, Destination, SectionState, WatchRun

STATE_FILTERS = ("", SectionState.FAILING, SectionState.UNKNOWN, SectionState.OK)


class StatusView(PermissionRequiredMixin, TemplateView):
    """連携状況: every shop × testable section, its state, since when, the last result;
    failing first. The page an operator opens each morning."""

    permission_required = "shops.view_shop"
    template_name = "monitoring/status.html"
    per_page = 100

    def get_context_data(self, **kwargs):
        params = self.request.GET
        state_filter = params.get("state", "")
        if state_filter not in STATE_FILTERS:
            state_filter = ""
        mall = params.get("mall", "")
        q = params.get("q", "")[:100]
        shops = Shop.objects.search(q).only("pk", "code", "mall", "short_name")
        if mall in registry:
            shops = shops.filter(mall=mall)
        states = {
            (s.shop_id, s.section): s
            for s in SectionState.objects.filter(shop__in=shops).only(
                "shop_id", "section", "state", "since", "last_code", "checked_at", "last_check_id"
            )
        }
        rows, counts = [], dict.fromkeys(STATE_FILTERS[1:], 0)
        for shop in shops.iterator(chunk_size=2000):
            if shop.mall not in registry:
                continue
            for section in testable_sections(shop):
                found = states.get((shop.pk, section.key))
                state = found.state if found else SectionState.UNKNOWN
                counts[state] += 1
                if state_filter and state != state_filter:
                    continue
                rows.append(
                    {
                        "shop": shop,
                        "section": section,
                        "state": state,
                        "since": found.since if found else None,
                        "checked_at": found.checked_at if found else None,
                        "message": message_for(found.last_code, section)
                        if found and found.last_code
                        else "",
                        "state_label": dict(SectionState.STATES)[state],
                    }
                )
        # Failing first (the newest failure on top), then 未確認, then 正常.
        rows.sort(
            key=lambda r: (
                SectionState.PRIORITY[r["state"]],
                -r["since"].timestamp() if r["state"] == SectionState.FAILING and r["since"] else 0,
                r["shop"].code,
                r["section"].key,
            )
        )
        page = Paginator(rows, self.per_page).get_page(params.get("page"))
        query = params.copy()
        query.pop("page", None)
        last_run = WatchRun.objects.select_related("batch").first()
        return super().get_context_data(
            page_obj=page,
            rows=page.object_list,
            counts=counts,
            total=sum(counts.values()),
            state=state_filter,
            mall=mall,
            q=q,
            mall_choices=registry.choices(),
            querystring=query.urlencode(),
            last_run=last_run,
            watch_time=settings.HEALTH_WATCH_TIME,
            **kwargs,
        )


# ---- destinations (管理者: the same permission as a shop's credentials) -------------------


class DestinationsView(PermissionRequiredMixin, View):
    permission_required = "shops.change_credentials"
    template_name = "monitoring/destinations.html"

    def get(self, request, form=None):
        destinations = Destination.objects.select_related("shop")
        labels = dict(registry.choices())
        for d in destinations:
            d.mall_label = labels.get(d.mall, d.mall)
        return render(
            request,
            self.template_name,
            {
                "form": form or DestinationForm(session=request.session),
                "destinations": destinations,
                "env_count": len(settings.NOTIFY_URLS),
            },
            status=400 if form is not None else 200,
        )

    def post(self, request):
        form = DestinationForm(request.POST, session=request.session)
        if not form.is_valid():
            form.keep()
            return self.get(request, form)
        destination = form.save(request.user)
        form.forget()
        messages.success(
            request,
            _("Added 「%(label)s」. Press 「Send a test」 to see that messages arrive.")
            % {"label": destination.label},
        )
        return redirect("monitoring:destinations")


class DestinationDeleteView(PermissionRequiredMixin, View):
    permission_required = "shops.change_credentials"

    def post(self, request, pk):
        destination = get_object_or_404(Destination, pk=pk)
        destination.delete()
        messages.success(request, _("Removed 「%(label)s」.") % {"label": destination.label})
        return redirect("monitoring:destinations")


class DestinationTestView(PermissionRequiredMixin, View):
    """テスト送信: a test message to one destination, now (the answer says whether it went)."""

    permission_required = "shops.change_credentials"

    def post(self, request, pk):
        destination = get_object_or_404(Destination.objects.select_related("shop"), pk=pk)
        outcome = notify.send_test(destination)
        if outcome.ok:
            messages.success(
                request,
                _("A test message was sent to 「%(label)s」.") % {"label": destination.label},
            )
        else:
            messages.error(
                request,
                _("The test message to 「%(label)s」 was not delivered: %(error)s")
                % {"label": destination.label, "error": outcome.error},
            )
        return redirect("monitoring:destinations")


# ---- the calendar feed ---------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TimelineView(PermissionRequiredMixin, TemplateView):
    """The 有効期限 page's 120-day chart: a fragment the page asks for after it is shown (the
    list comes first and stays fast at 100,000 shops)."""

    permission_required = "shops.view_shop"
    template_name = "monitoring/partials/timeline.html"


class CalendarView(PermissionRequiredMixin, View):
    """The user's secret calendar address: made or renewed here, shown once."""

    permission_required = "shops.view_shop"

    def get(self, request):
        feed = CalendarFeed.objects.filter(user=request.user).first()
        new_url = request.session.pop("monitoring_new_feed_url", "")
        return render(
            request,
            "monitoring/calendar.html",
            {"feed": feed, "new_url": new_url},
        )

    def post(self, request):
        token = secrets.token_urlsafe(32)
        renewed = CalendarFeed.objects.filter(user=request.user).exists()
        CalendarFeed.objects.update_or_create(
            user=request.user, defaults={"token_hash": token_hash(token), "last_used_at": None}
        )
        url = settings.SITE_URL.rstrip("/") + reverse("monitoring:feed", args=[token])
        # Shown once, on the page the redirect leads to (never in a URL or a log).
        request.session["monitoring_new_feed_url"] = url
        messages.success(
            request,
            _("A new calendar address was made. The previous one no longer works.")
            if renewed
            else _("Your calendar address was made."),
        )
        return redirect("monitoring:calendar")


@login_not_required
@require_GET
def feed(request, token):
    """The iCalendar feed (RFC 5545): calendar apps fetch it without a session."""
    if len(token) > 100:
        raise Http404
    found = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=token_hash(token), user__is_active=True)
        .first()
    )
    if found is None or not found.user.has_perm("shops.view_shop"):
        raise Http404
    CalendarFeed.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    response = HttpResponse(calendar.build(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = 'inline; filename="tempostar-expiries.ics"'
    return response
