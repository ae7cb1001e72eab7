import re
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Case, OuterRef, ProtectedError, Subquery, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.generic import (
    CreateView,
    DeleteView,
    DetailView,
    ListView,
    TemplateView,
    UpdateView,
)

from connectors import fields as F
from connectors.base import registry
from monitoring.models import SectionState
from tempostar.paging import ForgivingPaginationMixin

from . import checks, oauth, reminders, store, tasks
from .expiry import days_left, describe, last_day, parse_within, readable
from .forms import KeptSecrets, ShopForm, section_features
from .history import describe_changes
from .models import CheckBatch, ConnectionCheck, CredentialExpiry, Shop

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def query_value(request, name: str, max_length: int = 100) -> str:
    """A query-string value without control characters (PostgreSQL refuses NUL in a query),
    trimmed and cut to a sane length."""
    return CONTROL.sub("", request.GET.get(name, "")).strip()[:max_length]


class ShopListView(ForgivingPaginationMixin, PermissionRequiredMixin, ListView):
    permission_required = "shops.view_shop"
    template_name = "shops/shop_list.html"
    context_object_name = "shops"

    def get_paginate_by(self, queryset):
        return settings.SHOPS_PER_PAGE

    def get_queryset(self):
        qs = Shop.objects.search(query_value(self.request, "q"))
        mall = query_value(self.request, "mall")
        if mall in registry:
            qs = qs.filter(mall=mall)
        # The worst connection state of each shop (連携状況: failing first), in the same query.
        worst = SectionState.objects.filter(shop=OuterRef("pk")).order_by(
            Case(
                *(When(state=s, then=Value(p)) for s, p in SectionState.PRIORITY.items()),
            ),
            "since",
        )
        return qs.only(
            "code", "mall", "name", "short_name", "url", "order_mail_address", "updated_at"
        ).annotate(
            watch_state=Subquery(worst.values("state")[:1]),
            watch_since=Subquery(worst.values("since")[:1]),
            next_expiry=Subquery(
                readable(CredentialExpiry.objects.filter(shop=OuterRef("pk")))
                .order_by("expires_at")
                .values("expires_at")[:1]
            ),
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        today = timezone.localdate()
        for shop in ctx["shops"]:
            shop.days_left = days_left(shop.next_expiry, today) if shop.next_expiry else None
        ctx.update(
            q=query_value(self.request, "q"),
            mall=query_value(self.request, "mall"),
            mall_choices=registry.choices(),
            querystring=params.urlencode(),
        )
        return ctx


class MallPickerView(PermissionRequiredMixin, TemplateView):
    permission_required = "shops.add_shop"
    template_name = "shops/mall_picker.html"

    def get_context_data(self, **kwargs):
        cards = []
        for connector in registry.all():
            features = []
            for section in connector.sections:
                for feature in section.features:
                    if feature not in features:
                        features.append(feature)
            cards.append(
                SimpleNamespace(
                    connector=connector,
                    summary=connector.summary or connector.description,
                    features=[F.FEATURE_LABELS[f] for f in F.FEATURE_LABELS if f in features],
                    help_url=connector.help_url,
                )
            )
        return super().get_context_data(cards=cards, **kwargs)


class ShopFormMixin:
    """What the create and edit pages share: secrets typed into a submit that comes back
    with an error are kept for the corrected one (forms.KeptSecrets), and the page lists the
    errors and puts the cursor in the first one."""

    def kept_secrets(self) -> KeptSecrets:
        raise NotImplementedError

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "kept": self.kept_secrets()}

    def form_invalid(self, form):
        form.keep_secrets()
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        ctx["error_list"] = form.error_list() if form.is_bound else []
        return ctx


# The shop form carries credentials: error reports mask every POST field of these views.
@method_decorator(sensitive_post_parameters(), name="dispatch")
class ShopCreateView(ShopFormMixin, PermissionRequiredMixin, CreateView):
    permission_required = "shops.add_shop"
    form_class = ShopForm
    template_name = "shops/shop_form.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["mall"] not in registry:
            raise Http404(_("Unknown mall type."))
        self.connector = registry.get(kwargs["mall"])
        return super().dispatch(request, *args, **kwargs)

    def kept_secrets(self):
        return KeptSecrets(self.request.session, f"new:{self.connector.code}")

    def get_form_kwargs(self):
        # Anyone who may register a shop may enter its first credentials.
        return {**super().get_form_kwargs(), "connector": self.connector}

    def form_valid(self, form):
        self.object = store.create(self.connector, form.edit(), user=self.request.user)
        form.saved()
        messages.success(
            self.request,
            _("Registered %(name)s with shop code %(code)s.")
            % {"name": self.object.short_name, "code": self.object.code},
        )
        for warning in form.warnings:
            messages.warning(self.request, warning)
        if any(g.section.after_save or g.section.oauth for g in form.groups):
            messages.info(
                self.request,
                _(
                    "Some settings, such as signing in at the mall, are available now that the "
                    "shop is registered. Continue on this page."
                ),
            )
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse("shops:edit", args=[self.object.code])

    def get_context_data(self, **kwargs):
        return super().get_context_data(connector=self.connector, **kwargs)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class ShopUpdateView(ShopFormMixin, PermissionRequiredMixin, UpdateView):
    permission_required = "shops.change_shop"
    form_class = ShopForm
    model = Shop
    slug_field = slug_url_kwarg = "code"
    template_name = "shops/shop_form.html"

    def kept_secrets(self):
        return KeptSecrets(self.request.session, f"shop:{self.object.code}")

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "connector": self.object.connector,
            # Once a shop exists, only admins change its credentials.
            "can_edit_credentials": self.request.user.has_perm("shops.change_credentials"),
        }

    def form_valid(self, form):
        try:
            self.object, changes = store.update(self.object, form.edit(), user=self.request.user)
        except store.SecretsUnreadable:
            form.add_error(
                None,
                _(
                    "The stored credentials cannot be decrypted with the configured "
                    "FIELD_ENCRYPTION_KEYS, so nothing was saved. Ask the administrator to check "
                    "the keys."
                ),
            )
            return self.form_invalid(form)
        form.saved()
        if changes:
            messages.success(self.request, _("Saved."))
        else:
            messages.info(self.request, _("Nothing was changed."))
        for warning in form.warnings:
            messages.warning(self.request, warning)
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse("shops:edit", args=[self.object.code])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(
            connector=self.object.connector, history=shop_history(self.object), **kwargs
        )
        details = section_details(self.object)
        for group in ctx["form"].groups:
            for name, value in vars(details[group.section.key]).items():
                setattr(group, name, value)
        return ctx

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        # The sign-in buttons post here and are redirected to the provider: browsers apply
        # form-action to that redirect, so the providers' origins are allowed on this page.
        origins = sorted({p.origin() for p in self.object.connector.providers()})
        if origins:
            response._csp_update = {"form-action": origins}
        return response


def section_state(shop: Shop, section) -> tuple[dict, dict]:
    """The section's stored values and secret hints, keyed by field name."""
    prefix = f"{section.key}."
    values = {k[len(prefix) :]: v for k, v in (shop.settings or {}).items() if k.startswith(prefix)}
    hints = {
        k[len(prefix) :]: v for k, v in (shop.secret_hints or {}).items() if k.startswith(prefix)
    }
    return values, hints


def shop_history(shop: Shop):
    return describe_changes(shop.connector, shop.changes.select_related("user")[:50])


def section_details(shop: Shop) -> dict[str, SimpleNamespace]:
    """What the shop's pages show beside each section's fields: the last connection test,
    the expiry rows, the state lines, the sign-in state and where the mall explains it."""
    connector = shop.connector
    last = checks.latest_checks(shop)
    expiries: dict[str, list] = {}
    today = timezone.localdate()
    for row in readable(shop.expiries.all()):
        try:
            section = connector.section(row.section)
            row.label = next(e.label for e in section.expiries if e.credential == row.credential)
        except (LookupError, StopIteration):
            continue
        row.days_left = days_left(row.expires_at, today)
        row.expires_on = last_day(row.expires_at)
        expiries.setdefault(row.section, []).append(row)
    details = {}
    for section in connector.sections:
        values, hints = section_state(shop, section)
        details[section.key] = SimpleNamespace(
            last_check=last.get(section.key),
            expiries=expiries.get(section.key, []),
            status=section.status(values, hints),
            signed_in=section.signed_in(hints),
            missing_settings=(
                section.provider.missing_settings() if section.provider is not None else []
            ),
        )
    return details


class ShopDetailView(PermissionRequiredMixin, DetailView):
    """A shop as it is set up, for every role: each value as the form shows it (secrets only
    as set or not), each section's last connection test and expiry dates, and the history."""

    permission_required = "shops.view_shop"
    model = Shop
    slug_field = slug_url_kwarg = "code"
    template_name = "shops/shop_detail.html"
    context_object_name = "shop"

    def get_context_data(self, **kwargs):
        shop = self.object
        connector = shop.connector
        common = []
        for name in Shop.COMMON_FIELDS:
            field = Shop._meta.get_field(name)
            value = getattr(shop, f"get_{name}_display")() if field.choices else getattr(shop, name)
            common.append({"name": name, "label": field.verbose_name, "value": value})
        details = section_details(shop)
        stored = shop.settings or {}
        hints = shop.secret_hints or {}
        sections = []
        for section in connector.sections:
            rows = []
            for spec in section.fields:
                fid = section.field_id(spec)
                if spec.secret:
                    rows.append({"spec": spec, "secret": True, "is_set": fid in hints})
                else:
                    rows.append({"spec": spec, "value": spec.display(stored.get(fid))})
            sections.append(
                SimpleNamespace(
                    section=section,
                    rows=rows,
                    features=section_features(section),
                    help_url=section.help_url or connector.help_url,
                    **vars(details[section.key]),
                )
            )
        return super().get_context_data(
            connector=connector,
            common=common,
            sections=sections,
            history=shop_history(shop),
            **kwargs,
        )


class ShopDeleteView(PermissionRequiredMixin, DeleteView):
    permission_required = "shops.delete_shop"
    model = Shop
    slug_field = slug_url_kwarg = "code"
    template_name = "shops/shop_confirm_delete.html"
    success_url = reverse_lazy("shops:list")

    def form_valid(self, form):
        label = str(self.object)
        try:
            store.delete(self.object, user=self.request.user)
        except ProtectedError:
            messages.error(
                self.request,
                _(
                    "%(shop)s holds imported orders, so it cannot be deleted: the orders "
                    "would lose their shop. Nothing was deleted."
                )
                % {"shop": label},
            )
            return redirect("shops:edit", code=self.object.code)
        messages.success(self.request, _("Deleted %(shop)s.") % {"shop": label})
        return redirect(self.success_url)


# ---- connection checks (接続確認) ---------------------------------------------------------


class CheckSectionView(PermissionRequiredMixin, View):
    """POST: start a check of one section. The page's button (htmx) gets the result box back
    and follows it; without JavaScript the form posts here and returns to the page."""

    permission_required = "shops.run_connection_check"

    def post(self, request, code, section):
        shop = get_object_or_404(Shop, code=code)
        try:
            check = tasks.start_check(shop, section, request.user)
        except LookupError:
            raise Http404(_("This section cannot be tested.")) from None
        except checks.RateLimited as limited:
            return self.refused(request, shop, section, limited)
        except tasks.QueueUnavailable as unavailable:
            # Nothing was started and nothing counts against the limits: press again.
            limited = checks.RateLimited(str(unavailable), 1)
            return self.refused(request, shop, section, limited, status=503)
        if request.htmx:
            return check_result(request, check, section, status=202)
        messages.info(request, _("The connection test has started."))
        return redirect(reverse("shops:edit", args=[shop.code]) + f"#section-{section}")

    def refused(self, request, shop, section, limited, status=429):
        if request.htmx:
            last = checks.latest_checks(shop).get(section)
            response = check_result(request, last, section, status=status, refused=limited.message)
        else:
            messages.error(request, limited.message)
            response = redirect(reverse("shops:edit", args=[shop.code]) + f"#section-{section}")
        response["Retry-After"] = str(limited.retry_after)
        return response


def check_result(request, check, section_key, *, status=200, refused=""):
    return render(
        request,
        "shops/partials/check_result.html",
        {"c": check, "section_key": section_key, "refused": refused},
        status=status,
    )


class CheckStatusView(PermissionRequiredMixin, View):
    """GET: one check's result box (the page asks again every second while it runs)."""

    permission_required = "shops.view_shop"

    def get(self, request, pk):
        check = get_object_or_404(ConnectionCheck.objects.select_related("shop"), pk=pk)
        return check_result(request, check, check.section)


class CheckAllView(PermissionRequiredMixin, View):
    """POST: 全ショップ接続確認. Redirects to the batch's progress page."""

    permission_required = "shops.run_connection_check"

    def post(self, request):
        try:
            batch = tasks.start_batch(Shop.objects.all(), request.user)
        except checks.RateLimited as limited:
            messages.error(request, limited.message)
            return redirect("shops:check_batch", pk=limited.batch.pk)
        except tasks.QueueUnavailable as unavailable:
            messages.error(request, str(unavailable))
            return redirect("shops:list")
        return redirect("shops:check_batch", pk=batch.pk)


class CheckBatchView(PermissionRequiredMixin, TemplateView):
    """A batch's progress; htmx asks for the live part (a partial) until it is finished."""

    permission_required = "shops.view_shop"
    template_name = "shops/check_batch.html"

    def get(self, request, *args, **kwargs):
        self.batch = get_object_or_404(CheckBatch, pk=kwargs["pk"])
        if request.htmx:
            self.template_name = "shops/partials/batch_progress.html"
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        def rows(status):
            found = list(
                self.batch.checks.filter(status=status)
                .select_related("shop")
                .order_by("shop__code", "section")[:200]
            )
            for c in found:
                try:
                    c.section_title = c.shop.connector.section(c.section).title
                except LookupError:
                    c.section_title = c.section
            return found

        progress = checks.batch_progress(self.batch)
        groups = [
            (_("Failed"), rows(ConnectionCheck.FAILED), "failed-checks"),
            (_("Not tested"), rows(ConnectionCheck.UNTESTED), "untested-checks"),
        ]
        return super().get_context_data(
            batch=self.batch, progress=progress, groups=groups, **kwargs
        )


class ForgetHostKeyView(PermissionRequiredMixin, View):
    """POST: forget what the section pinned (an SSH host key), so the next check learns the
    server's current one."""

    permission_required = "shops.change_credentials"

    def post(self, request, code, section):
        shop = get_object_or_404(Shop, code=code)
        try:
            target = shop.connector.section(section)
        except LookupError:
            raise Http404(section) from None
        if not target.forgettable:
            raise Http404(section)
        for name in target.forgettable:
            store.forget(shop, target, name, user=request.user)
        messages.success(
            request,
            _(
                "The stored host key was forgotten. The next connection "
                "test will show and store the server's current key."
            ),
        )
        return redirect(reverse("shops:edit", args=[code]) + f"#section-{section}")


# ---- OAuth sign-in and the expiry dashboard ---------------------------------------------


class OAuthStartView(PermissionRequiredMixin, View):
    """POST: leave for the mall's sign-in page (有効期限を更新 runs it again)."""

    permission_required = "shops.change_credentials"

    def post(self, request, code, section):
        shop = get_object_or_404(Shop, code=code)
        try:
            target = shop.connector.section(section)
        except LookupError:
            raise Http404(section) from None
        if target.provider is None:
            raise Http404(section)
        missing = target.provider.missing_settings()
        if missing:
            messages.error(
                request,
                _(
                    "Sign-in is not available yet: this console has no client credentials for "
                    "%(provider)s. An administrator must set %(settings)s on the server."
                )
                % {"provider": target.provider.label, "settings": ", ".join(missing)},
            )
            return redirect(reverse("shops:edit", args=[code]) + f"#section-{section}")
        return redirect(oauth.start(request, shop, target))


@method_decorator(sensitive_variables(), name="get")
class OAuthCallbackView(PermissionRequiredMixin, View):
    permission_required = "shops.change_credentials"

    def get(self, request):
        try:
            shop, section = oauth.finish(request)
        except oauth.OAuthError as exc:
            reason = str(exc)
            if reason == "state":
                text = _(
                    "The sign-in was refused: its state does not match a sign-in started "
                    "from this console (or it is more than 15 minutes old). Start again "
                    "from the shop's page."
                )
            elif reason == "denied":
                text = _("The sign-in was cancelled or refused at the mall.")
            else:
                text = _(
                    "The mall did not issue a token. Try again; if it keeps failing, "
                    "check this console's client ID and secret."
                )
            return render(request, "shops/oauth_error.html", {"message": text}, status=400)
        messages.success(request, _("Signed in. The tokens are stored encrypted."))
        return redirect(reverse("shops:edit", args=[shop.code]) + f"#section-{section.key}")


class ExpiryDashboardView(ForgivingPaginationMixin, PermissionRequiredMixin, ListView):
    """期限: expired and expiring credentials of all shops, soonest first."""

    permission_required = "shops.view_shop"
    template_name = "shops/expiry_dashboard.html"
    context_object_name = "rows"
    paginate_by = 50  # as the shop list: the page stays under 25 ms at 100,000 shops

    def within(self) -> str:
        return parse_within(self.request.GET.get("within", ""))

    def get_queryset(self):
        qs = (
            readable(CredentialExpiry.objects.select_related("shop"))
            .defer("shop__secrets", "shop__settings", "shop__secret_hints")
            .order_by("expires_at", "pk")
        )
        window = self.within()
        if window != "all":
            qs = qs.filter(expires_at__lte=timezone.now() + timedelta(days=int(window)))
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for row in ctx["rows"]:
            info = describe(row)
            row.label = info["label"]
            row.section_key = info["section_key"]
            row.days_left = days_left(row.expires_at, today)
            row.expires_on = last_day(row.expires_at)
        reminders.annotate_rows(ctx["rows"])
        ctx["within"] = self.within()
        return ctx
