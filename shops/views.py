from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import CreateView, DeleteView, ListView, TemplateView, UpdateView

from connectors.base import registry

from .forms import SecretsUnreadable, ShopForm
from .history import describe_changes, record_change
from .models import Shop, ShopChange


class ShopListView(PermissionRequiredMixin, ListView):
    permission_required = "shops.view_shop"
    template_name = "shops/shop_list.html"
    context_object_name = "shops"

    def get_paginate_by(self, queryset):
        return settings.SHOPS_PER_PAGE

    def get_queryset(self):
        qs = Shop.objects.search(self.request.GET.get("q", ""))
        mall = self.request.GET.get("mall", "")
        if mall in registry:
            qs = qs.filter(mall=mall)
        return qs.only(
            "code", "mall", "name", "short_name", "url", "order_mail_address", "updated_at"
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        params.pop("page", None)
        ctx.update(
            q=self.request.GET.get("q", ""),
            mall=self.request.GET.get("mall", ""),
            mall_choices=registry.choices(),
            querystring=params.urlencode(),
        )
        return ctx


class MallPickerView(PermissionRequiredMixin, TemplateView):
    permission_required = "shops.add_shop"
    template_name = "shops/mall_picker.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(connectors=registry.all(), **kwargs)


class ShopCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "shops.add_shop"
    form_class = ShopForm
    template_name = "shops/shop_form.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["mall"] not in registry:
            raise Http404(_("Unknown mall type."))
        self.connector = registry.get(kwargs["mall"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        # Anyone who may register a shop may enter its first credentials.
        return {**super().get_form_kwargs(), "connector": self.connector}

    def form_valid(self, form):
        form.instance.mall = self.connector.code
        response = super().form_valid(form)
        record_change(self.object, self.request.user, ShopChange.CREATE, form.changes)
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
        return response

    def get_success_url(self):
        return reverse("shops:edit", args=[self.object.code])

    def get_context_data(self, **kwargs):
        return super().get_context_data(connector=self.connector, **kwargs)


class ShopUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "shops.change_shop"
    form_class = ShopForm
    model = Shop
    slug_field = slug_url_kwarg = "code"
    template_name = "shops/shop_form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "connector": self.object.connector,
            # Once a shop exists, only admins change its credentials.
            "can_edit_credentials": self.request.user.has_perm("shops.change_credentials"),
        }

    def form_valid(self, form):
        try:
            self.object = form.save()
        except SecretsUnreadable:
            form.add_error(
                None,
                _(
                    "The stored credentials cannot be decrypted with the configured "
                    "FIELD_ENCRYPTION_KEYS, so nothing was saved. Ask the administrator to check "
                    "the keys."
                ),
            )
            return self.form_invalid(form)
        if form.changes:
            record_change(self.object, self.request.user, ShopChange.UPDATE, form.changes)
            messages.success(self.request, _("Saved."))
        else:
            messages.info(self.request, _("Nothing was changed."))
        for warning in form.warnings:
            messages.warning(self.request, warning)
        return redirect(self.get_success_url())

    def get_success_url(self):
        return reverse("shops:edit", args=[self.object.code])

    def get_context_data(self, **kwargs):
        history = self.object.changes.select_related("user")[:50]
        return super().get_context_data(
            connector=self.object.connector,
            history=describe_changes(self.object.connector, history),
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
        record_change(self.object, self.request.user, ShopChange.DELETE, [])
        response = super().form_valid(form)
        messages.success(self.request, _("Deleted %(shop)s.") % {"shop": label})
        return response
