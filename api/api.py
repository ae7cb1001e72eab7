"""The REST API under /api/v1/ (django-ninja): shops, connection tests, expiries, order import.

Every write goes through shops.store with via=API, after the console's own ShopForm has
validated the body (api.shapes), so rules, messages and change history are the console's.
Messages are Japanese unless the request's Accept-Language asks for English.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, NinjaAPI, Query, Router, Status
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.parser import Parser
from ninja.throttling import SimpleRateThrottle

from connectors.base import registry
from orders import jobs as order_jobs
from orders import tasks as order_tasks
from orders.models import ImportJob
from shops import checks, store, tasks
from shops.expiry import days_left, describe, last_day, parse_within, readable
from shops.models import CheckBatch, ConnectionCheck, CredentialExpiry, Shop

from . import jsonbody, shapes
from . import schemas as S
from .auth import TokenAuth, require


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per token (e.g. "120/min"), counted in the Django cache."""

    scope = "api_token"

    def __init__(self):
        self.rate = None

    def allow_request(self, request):
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request):
        token = getattr(request, "auth", None)
        if token is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token.key_id}


class StrictParser(Parser):
    """Every JSON body, the typed ones django-ninja parses too, read by api.jsonbody."""

    def parse_body(self, request):
        return jsonbody.loads(request.body)


api = NinjaAPI(
    parser=StrictParser(),
    title="TEMPOSTAR shop linkage API",
    version="1",
    description=(
        "Register and maintain linked shops (連携ショップ基本設定) from a script. "
        "Authenticate with `Authorization: Bearer <token>` (create one on the API tokens "
        "page or with `manage.py create_api_token`). Messages are Japanese unless "
        "`Accept-Language: en` is sent. Secrets are write-only."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


# ---- errors ------------------------------------------------------------------------------------


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc):
    response = api.create_response(
        request,
        {"detail": _("A valid API token is required (Authorization: Bearer <token>).")},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def throttled(request, exc):
    return api.create_response(
        request,
        {
            "detail": _("Too many requests with this token: at most %(rate)s. Try again later.")
            % {"rate": settings.API_RATE_LIMIT}
        },
        status=429,
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("No such object.")}, status=404)


# pydantic's messages are English: the common kinds get the console's words.
PARAMETER_MESSAGES = {
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "missing": gettext_lazy("This is required."),
    "string_type": gettext_lazy("Enter text."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "greater_than_equal": gettext_lazy("The number is too small."),
    "less_than_equal": gettext_lazy("The number is too large."),
    "int_parsing_size": gettext_lazy("The number is too large."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "list_type": gettext_lazy("Enter a list, such as [1, 2]."),
    "dict_type": gettext_lazy('Enter a JSON object, such as {"name": ...}.'),
    "model_type": gettext_lazy('Enter a JSON object, such as {"name": ...}.'),
    "model_attributes_type": gettext_lazy('Enter a JSON object, such as {"name": ...}.'),
    "extra_forbidden": gettext_lazy("This field is not accepted here."),
    "string_too_long": gettext_lazy("The text is too long."),
    "string_too_short": gettext_lazy("The text is too short."),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
}
# Pydantic's own words are English: a kind of error not listed above gets this.
OTHER_PARAMETER_ERROR = gettext_lazy("This value is not accepted.")


@api.exception_handler(HttpError)
def http_error(request, exc):
    # django-ninja answers a body it cannot parse with its own English words.
    message = str(exc)
    if message.startswith("Cannot parse request body"):
        message = _("The body is not valid JSON.")
        if isinstance(exc.__cause__, jsonbody.BadJSON):
            message += " " + str(exc.__cause__)
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def invalid_request(request, exc):
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query")),
            "label": "",
            "messages": [str(PARAMETER_MESSAGES.get(e.get("type"), OTHER_PARAMETER_ERROR))],
        }
        for e in exc.errors
    ]
    return api.create_response(
        request, {"detail": _("The request is not valid."), "errors": errors}, status=422
    )


def _invalid(request, errors, status=422):
    return api.create_response(
        request,
        {"detail": _("Nothing was saved: correct the fields below."), "errors": errors},
        status=status,
    )


def _json_body(request) -> dict:
    try:
        body = jsonbody.loads(request.body or b"{}")
    except jsonbody.BadJSON as exc:
        raise HttpError(400, _("The body is not valid JSON.") + " " + str(exc)) from None
    if not isinstance(body, dict):
        raise HttpError(400, _("The body must be a JSON object."))
    return body


def _page(qs, page: int, per_page: int):
    per_page = max(1, min(per_page, 100))
    count = qs.count()
    pages = max(1, math.ceil(count / per_page))
    page = max(1, min(page, pages))
    start = (page - 1) * per_page
    return {"count": count, "page": page, "pages": pages, "per_page": per_page}, qs[
        start : start + per_page
    ]


SHOP_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": S.ShopIn.model_json_schema()}},
    }
}


# ---- shops -------------------------------------------------------------------------------------

shops_router = Router(tags=["shops"])


@shops_router.get("", response=S.ShopPage, summary="List shops")
def list_shops(
    request,
    q: str = Query("", description="Part of the shop name, short name or shop code."),
    mall: str = Query("", description="Only this mall's shops."),
    page: int = 1,
    per_page: int = Query(50, description="At most 100."),
):
    require(request, "shops.view_shop")
    qs = Shop.objects.search(q[:200]).defer("secrets").order_by("code")
    if mall:
        qs = qs.filter(mall=mall)
    meta, rows = _page(qs, page, per_page)
    return {**meta, "results": [shapes.shop_out(s) for s in rows]}


@shops_router.get("/{code}", response={200: S.ShopOut, 404: S.Message}, summary="Read a shop")
def read_shop(request, code: str):
    require(request, "shops.view_shop")
    return shapes.shop_out(get_object_or_404(Shop.objects.defer("secrets"), code=code))


@shops_router.post(
    "",
    response={201: S.ShopSaved, 400: S.Message, 422: S.Invalid},
    summary="Register a shop",
    openapi_extra=SHOP_BODY,
)
def create_shop(request):
    require(request, "shops.add_shop")
    body = _json_body(request)
    mall = body.get("mall")
    if not isinstance(mall, str) or mall not in registry:
        return _invalid(
            request,
            [
                {
                    "field": "mall",
                    "label": shapes.field_label(None, "mall"),
                    "messages": [_("Choose one of the mall codes listed by GET /malls.")],
                }
            ],
        )
    connector = registry.get(mall)
    try:
        form = shapes.build_form(connector, body)
    except shapes.BodyError as exc:
        return _invalid(request, exc.errors)
    if not form.is_valid():
        return _invalid(request, shapes.form_errors(form))
    shop = store.create(connector, form.edit(), user=request.auth.user, via=store.API)
    return Status(201, {**shapes.shop_out(shop), "warnings": [str(w) for w in form.warnings]})


@shops_router.patch(
    "/{code}",
    response={200: S.ShopSaved, 400: S.Message, 403: S.Message, 404: S.Message, 422: S.Invalid},
    summary="Change a shop",
    description=(
        "Only the fields in the body change. Mall settings and secrets of a registered shop "
        "need the 管理者 role (shops.change_credentials), as in the console."
    ),
    openapi_extra=SHOP_BODY,
)
def update_shop(request, code: str):
    require(request, "shops.change_shop")
    shop = get_object_or_404(Shop, code=code)
    body = _json_body(request)
    if body.get("mall") not in (None, shop.mall):
        return _invalid(
            request,
            [
                {
                    "field": "mall",
                    "label": shapes.field_label(None, "mall"),
                    "messages": [_("The mall type cannot be changed after registration.")],
                }
            ],
        )
    can_edit = request.auth.user.has_perm("shops.change_credentials")
    if body.get("sections") and not can_edit:
        raise HttpError(
            403,
            _("Only administrators change the mall settings and credentials of a registered shop."),
        )
    try:
        form = shapes.build_form(shop.connector, body, instance=shop, can_edit_credentials=can_edit)
    except shapes.BodyError as exc:
        return _invalid(request, exc.errors)
    if not form.is_valid():
        return _invalid(request, shapes.form_errors(form))
    try:
        shop, _changes = store.update(shop, form.edit(), user=request.auth.user, via=store.API)
    except store.SecretsUnreadable:
        raise HttpError(
            409,
            _(
                "The stored credentials cannot be decrypted with the configured "
                "FIELD_ENCRYPTION_KEYS, so nothing was saved. Ask the administrator to check "
                "the keys."
            ),
        ) from None
    return {**shapes.shop_out(shop), "warnings": [str(w) for w in form.warnings]}


@shops_router.delete(
    "/{code}", response={204: None, 403: S.Message, 404: S.Message, 409: S.Message}
)
def delete_shop(request, code: str):
    require(request, "shops.delete_shop")
    shop = get_object_or_404(Shop, code=code)
    try:
        store.delete(shop, user=request.auth.user, via=store.API)
    except ProtectedError:
        raise HttpError(
            409,
            _(
                "%(shop)s holds imported orders, so it cannot be deleted: the orders "
                "would lose their shop. Nothing was deleted."
            )
            % {"shop": str(shop)},
        ) from None
    return Status(204, None)


# ---- connection tests ----------------------------------------------------------------------

checks_router = Router(tags=["connection tests"])


def _refused(request, limited):
    response = api.create_response(request, {"detail": limited.message}, status=429)
    response["Retry-After"] = str(limited.retry_after)
    return response


@shops_router.post(
    "/{code}/checks/{section}",
    response={202: S.CheckOut, 404: S.Message, 429: S.Message},
    summary="Start a connection test of one section",
)
def start_check(request, code: str, section: str):
    require(request, "shops.run_connection_check")
    shop = get_object_or_404(Shop, code=code)
    try:
        check = tasks.start_check(shop, section, request.auth.user)
    except LookupError:
        raise HttpError(404, _("This section cannot be tested.")) from None
    except checks.RateLimited as limited:
        return _refused(request, limited)
    return Status(202, check.as_json())


@checks_router.get("/checks/{check_id}", response={200: S.CheckOut, 404: S.Message})
def read_check(request, check_id: int):
    require(request, "shops.view_shop")
    return get_object_or_404(ConnectionCheck.objects.select_related("shop"), pk=check_id).as_json()


@checks_router.post(
    "/check-batches",
    response={202: S.BatchOut, 429: S.Message, 422: S.Invalid},
    summary="Test every section of many shops",
)
def start_batch(request, payload: S.BatchIn):
    require(request, "shops.run_connection_check")
    qs = Shop.objects.all()
    if payload.shops is not None:
        qs = qs.filter(code__in=payload.shops)
    if payload.mall:
        qs = qs.filter(mall=payload.mall)
    try:
        batch = tasks.start_batch(qs, request.auth.user)
    except checks.RateLimited as limited:
        return _refused(request, limited)
    return Status(202, checks.batch_progress(batch))


@checks_router.get("/check-batches/{batch_id}", response={200: S.BatchOut, 404: S.Message})
def read_batch(request, batch_id: int):
    require(request, "shops.view_shop")
    return checks.batch_progress(get_object_or_404(CheckBatch, pk=batch_id))


# ---- expiries --------------------------------------------------------------------------------

expiries_router = Router(tags=["expiries"])


@expiries_router.get("", response=S.ExpiryPage, summary="Expired and expiring credentials")
def list_expiries(
    request,
    within: str = Query("30", description='Days ahead ("30", "90", ...) or "all".'),
    page: int = 1,
    per_page: int = 100,
):
    require(request, "shops.view_shop")
    qs = (
        readable(CredentialExpiry.objects.select_related("shop"))
        .defer("shop__secrets", "shop__settings", "shop__secret_hints")
        .order_by("expires_at", "pk")
    )
    within = parse_within(within)
    if within != "all":
        qs = qs.filter(expires_at__lte=timezone.now() + timedelta(days=int(within)))
    meta, rows = _page(qs, page, per_page)
    today = timezone.localdate()
    results = []
    for row in rows:
        info = describe(row)
        results.append(
            {
                "shop": row.shop.code,
                "shop_name": row.shop.short_name,
                "mall": row.shop.mall,
                "section": row.section,
                "credential": row.credential,
                "label": info["label"],
                "expires_at": row.expires_at,
                "expires_on": last_day(row.expires_at).isoformat(),
                "days_left": days_left(row.expires_at, today),
                "source": row.source,
            }
        )
    return {**meta, "results": results}


# ---- order CSV import ----------------------------------------------------------------------

orders_router = Router(tags=["order import"])


def _job_out(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "shop": job.shop.code if job.shop_id else None,
        "filename": job.filename,
        "status": job.status,
        "progress": job.progress,
        "total": job.total,
        "summary": job.summary,
        "errors": job.errors,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


@shops_router.post(
    "/{code}/order-imports",
    response={202: S.ImportJobOut, 404: S.Message},
    summary="Import a TEMPOSTAR-format order CSV into a その他 shop",
    description=(
        "Small files are imported at once; larger ones run in the worker: read the job "
        "until its status is done, refused or failed."
    ),
)
def import_orders(request, code: str, file: File[UploadedFile]):
    require(request, "orders.add_order")
    shop = get_object_or_404(Shop, code=code)
    if not shop.connector.imports_order_csv:
        raise HttpError(404, _("This shop does not import order CSV files."))
    try:
        job = order_jobs.create_job(ImportJob.ORDERS, file, shop=shop, user=request.auth.user)
    except order_jobs.UploadTooLarge:
        raise HttpError(
            413,
            _(
                "The file is too large: the limit is %(limit)s bytes. Nothing was imported; "
                "split the file and import the parts."
            )
            % {"limit": f"{settings.IMPORT_MAX_BYTES:,}"},
        ) from None
    order_tasks.start(job)
    job.refresh_from_db()
    return Status(202, _job_out(job))


@orders_router.get("/{job_id}", response={200: S.ImportJobOut, 404: S.Message})
def read_import(request, job_id: int):
    require(request, "orders.view_order")
    return _job_out(get_object_or_404(ImportJob.objects.select_related("shop"), pk=job_id))


# ---- malls and the caller ------------------------------------------------------------------

meta_router = Router(tags=["reference"])


@meta_router.get("/malls", response=list[S.MallOut], summary="Malls, their sections and fields")
def list_malls(request):
    require(request, "shops.view_shop")
    out = []
    for connector in registry.all():
        sections = []
        for section in connector.sections:
            sections.append(
                {
                    "key": section.key,
                    "title": str(section.title),
                    "after_save": section.after_save,
                    "testable": section.testable,
                    "fields": [
                        {
                            "name": f.name,
                            "label": str(f.label),
                            "kind": f.kind,
                            "secret": f.secret,
                            "required": f.required,
                            "default": f.default,
                            "choices": [[str(v), str(label)] for v, label in f.choices],
                        }
                        for f in section.fields
                    ],
                }
            )
        out.append({"code": connector.code, "label": str(connector.label), "sections": sections})
    return out


@meta_router.get("/me", response=S.Me, summary="The token's user and permissions")
def me(request):
    user = request.auth.user
    return {
        "username": user.get_username(),
        "token": request.auth.name,
        "permissions": sorted(user.get_all_permissions()),
    }


api.add_router("/shops", shops_router)
api.add_router("", checks_router)
api.add_router("/expiries", expiries_router)
api.add_router("/order-imports", orders_router)
api.add_router("", meta_router)
