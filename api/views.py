"""Pages of the API app: a user's API tokens, and the bulk shop import for administrators."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from connectors.base import registry
from orders.importer import ImportRefused
from shops.forms import StrictTextField
from tempostar import crypto
from tempostar.uploads import UploadLimitMixin

from . import bulk, tokens
from .models import ApiToken


class TokenForm(forms.Form):
    name = StrictTextField(
        label=gettext_lazy("Token name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, such as the script that uses it."),
    )


@method_decorator(never_cache, name="dispatch")
class TokenListView(View):
    """The signed-in user's API tokens: create (shown once), see last use, revoke."""

    template_name = "api/tokens.html"

    NONCE = "api_token_form"

    def render(self, request, form=None, new_token=None, status=200):
        # Each shown form may create one token: a reload of the answer posts a used nonce.
        request.session[self.NONCE] = nonce = uuid.uuid4().hex
        return render(
            request,
            self.template_name,
            {
                "tokens": ApiToken.objects.filter(user=request.user),
                "form": form or TokenForm(),
                "new_token": new_token,
                "nonce": nonce,
            },
            status=status,
        )

    def get(self, request):
        return self.render(request)

    def post(self, request):
        if "revoke" in request.POST:
            pk = request.POST.get("revoke", "")
            token = get_object_or_404(
                ApiToken, pk=int(pk) if pk.isascii() and pk.isdigit() else 0, user=request.user
            )
            tokens.revoke(token)
            messages.success(request, _("Revoked the token %(name)s.") % {"name": token.name})
            return redirect("api_tokens")
        nonce = request.POST.get("nonce", "")
        if not nonce or nonce != request.session.pop(self.NONCE, None):
            messages.info(
                request,
                _("That form was already used: no further token was created. Use the form below."),
            )
            return redirect("api_tokens")
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.render(request, form=form, status=400)
        _row, raw = tokens.issue(request.user, form.cleaned_data["name"])
        # Shown in this response only; never stored in clear or in the session.
        return self.render(request, new_token=raw)


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Shop file (JSON or CSV)"))


PENDING = "shop_import_file"
STALE_AFTER = 3600  # seconds: a checked file never registered is deleted after this


def _forget_stale(folder: Path) -> None:
    now = time.time()
    for old in folder.glob("shops-*.fernet"):
        try:
            if now - old.stat().st_mtime > STALE_AFTER:
                old.unlink(missing_ok=True)
        except OSError:
            pass


@method_decorator(never_cache, name="dispatch")
class ShopImportTemplateView(PermissionRequiredMixin, View):
    """A CSV to fill in for one mall (ショップ一括登録's ひな形)."""

    permission_required = ("shops.add_shop", "shops.change_credentials")

    def get(self, request, mall):
        if mall not in registry:
            raise Http404
        response = HttpResponse(
            bulk.template_csv(registry.get(mall)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="shops-{mall}.csv"'
        return response


class ShopImportView(UploadLimitMixin, PermissionRequiredMixin, View):
    """ショップ一括登録: upload, see what would be created (a dry run), then register."""

    permission_required = ("shops.add_shop", "shops.change_credentials")
    template_name = "api/shop_import.html"

    def get(self, request):
        return self.page(request)

    def max_bytes(self) -> int:
        return settings.SHOP_IMPORT_MAX_BYTES

    def after_refusal(self, kwargs) -> str:
        return reverse("shop_import")

    def page(self, request, status=200, **context):
        context.setdefault("form", UploadForm())
        context["mall_choices"] = registry.choices()  # for the CSV to fill in
        return render(request, self.template_name, context, status=status)

    def post(self, request):
        if request.POST.get("action") == "import":
            return self.do_import(request)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(request, status=400, form=form)
        upload = form.cleaned_data["file"]
        if upload.size > settings.SHOP_IMPORT_MAX_BYTES:
            return self.refused(request, [_("The file is too large.")], 1)
        data = upload.read()
        try:
            report = bulk.import_shops(data, upload.name, dry_run=True)
        except ImportRefused as refused:
            return self.refused(request, refused.errors, refused.total)
        # Their own folder: the recovery job deletes unclaimed order uploads in imports/ after
        # ten minutes, and a checked file waits up to an hour for 「この内容で登録する」.
        folder = settings.VAR_DIR / "shop-imports"
        folder.mkdir(parents=True, exist_ok=True)
        _forget_stale(folder)
        path = folder / f"shops-{uuid.uuid4().hex}.fernet"
        # The file holds credentials: kept for the next step only, and encrypted like the
        # shops' own secrets (FIELD_ENCRYPTION_KEYS).
        path.write_text(crypto.fernet().encrypt(data).decode())
        old = request.session.get(PENDING)
        if old:
            Path(old["path"]).unlink(missing_ok=True)
        request.session[PENDING] = {"path": str(path), "name": upload.name[:200]}
        return self.page(request, report=report, filename=upload.name)

    def refused(self, request, errors, total):
        return self.page(request, status=400, errors=errors, more=max(0, total - len(errors)))

    def do_import(self, request):
        pending = request.session.pop(PENDING, None)
        path = Path(pending["path"]) if pending else None
        if path is None or not path.is_file():
            messages.error(request, _("Upload the file again and check it first."))
            return redirect("shop_import")
        try:
            data = crypto.fernet().decrypt(path.read_bytes())
            report = bulk.import_shops(data, pending["name"], user=request.user)
        except ImportRefused as refused:
            return self.refused(request, refused.errors, refused.total)
        finally:
            path.unlink(missing_ok=True)
        messages.success(request, _("Registered %(n)d shops.") % {"n": len(report.shops)})
        return self.page(request, created=report)
