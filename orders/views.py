from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, ListView, UpdateView

from connectors.base import registry
from shops.forms import NumberField, StrictTextField
from shops.models import Shop
from shops.views import query_value
from tempostar.paging import ForgivingPaginationMixin
from tempostar.uploads import UploadLimitMixin

from . import jobs, tasks
from .models import ImportJob, Order, OrderLine, Product
from .templatefiles import template_zip


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


class OrderImportView(UploadLimitMixin, PermissionRequiredMixin, FormView):
    """受注CSV取込 for a shop whose connector takes orders by CSV (その他)."""

    permission_required = "orders.add_order"
    form_class = UploadForm
    template_name = "orders/order_import.html"

    def dispatch(self, request, *args, **kwargs):
        self.shop = get_object_or_404(Shop, code=kwargs["code"])
        if not self.shop.connector.imports_order_csv:
            raise Http404(_("This shop does not import order CSV files."))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        if self.size_limit.exceeded:
            return self.form_invalid(form)  # dispatch answers with the limit
        try:
            job = jobs.create_job(
                ImportJob.ORDERS, form.cleaned_data["file"], shop=self.shop, user=self.request.user
            )
        except jobs.UploadTooLarge:
            return self.too_large(self.kwargs)
        tasks.start(job)
        return redirect("orders:job", pk=job.pk)

    def after_refusal(self, kwargs) -> str:
        return reverse("orders:import", args=[kwargs["code"]])

    def get_context_data(self, **kwargs):
        recent = self.shop.import_jobs.filter(kind=ImportJob.ORDERS).select_related("created_by")[
            :10
        ]
        return super().get_context_data(shop=self.shop, recent=recent, **kwargs)


class OrderListView(ForgivingPaginationMixin, PermissionRequiredMixin, ListView):
    """受注: the orders imported from order CSV files, with their lines, per shop and by
    search; beside them each import's summary (who, when, which file, counts, stock)."""

    permission_required = "orders.view_order"
    template_name = "orders/order_list.html"
    context_object_name = "orders"
    paginate_by = 30

    def shops(self):
        """Shops that hold orders or take them by CSV, for the shop filter."""
        csv_malls = [c.code for c in registry.all() if c.imports_order_csv]
        return Shop.objects.filter(
            Q(mall__in=csv_malls) | Exists(Order.objects.filter(shop=OuterRef("pk")))
        ).only("code", "short_name", "mall")

    def get_queryset(self):
        self.q = query_value(self.request, "q")
        self.shop = None
        code = query_value(self.request, "shop", 16)
        if code:
            self.shop = Shop.objects.filter(code=code).first()
        qs = Order.objects.select_related("shop", "import_job__created_by").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("line_no"))
        )
        if self.shop is not None:
            qs = qs.filter(shop=self.shop)
        if self.q:
            lines = OrderLine.objects.filter(order=OuterRef("pk")).filter(
                Q(product_code__icontains=self.q) | Q(product_name__icontains=self.q)
            )
            qs = qs.filter(
                Q(order_number__icontains=self.q)
                | Q(customer_name__icontains=self.q)
                | Exists(lines)
            )
        return qs

    def get_context_data(self, **kwargs):
        imports = ImportJob.objects.filter(kind=ImportJob.ORDERS).select_related(
            "shop", "created_by"
        )
        if self.shop is not None:
            imports = imports.filter(shop=self.shop)
        params = self.request.GET.copy()
        params.pop("page", None)
        shops = list(self.shops())
        return super().get_context_data(
            q=self.q,
            shop=self.shop,
            shop_code=self.shop.code if self.shop else "",
            shops=shops,
            csv_shops=[s for s in shops if s.connector.imports_order_csv],
            imports=imports[:10],
            querystring=params.urlencode(),
            **kwargs,
        )


class ImportJobView(PermissionRequiredMixin, DetailView):
    permission_required = "orders.view_order"
    model = ImportJob
    template_name = "orders/import_job.html"
    context_object_name = "job"

    def get_object(self, queryset=None):
        job = super().get_object(queryset)
        job.progress = jobs.live_progress(job)  # a running import reports outside the database
        return job

    def get_template_names(self):
        # htmx asks for the live part of the page (a partial) while the import runs.
        if self.request.htmx:
            return ["orders/partials/job_status.html"]
        return [self.template_name]


class TemplateDownloadView(PermissionRequiredMixin, View):
    # The template describes the order CSV: for whoever may see orders, not any signed-in user.
    permission_required = "orders.view_order"

    def get(self, request):
        response = HttpResponse(template_zip(), content_type="application/zip")
        response["Content-Disposition"] = (
            'attachment; filename="tempostar-order-csv.zip"; '
            "filename*=UTF-8''TEMPOSTAR%E5%BD%A2%E5%BC%8F%E5%8F%97%E6%B3%A8CSV.zip"
        )
        return response


class ProductListView(ForgivingPaginationMixin, PermissionRequiredMixin, ListView):
    permission_required = "orders.view_product"
    template_name = "orders/product_list.html"
    context_object_name = "products"
    paginate_by = 50

    def get_queryset(self):
        q = query_value(self.request, "q")
        qs = Product.objects.all()
        if q:
            qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
        return qs

    def get_context_data(self, **kwargs):
        q = query_value(self.request, "q")
        return super().get_context_data(
            q=q, form=UploadForm(), querystring=urlencode({"q": q}) if q else "", **kwargs
        )


class ProductForm(forms.ModelForm):
    # The integer column's bounds, the same on SQLite and PostgreSQL; the stock CSV takes any
    # value up to the same maximum, so a product it set can always be edited here.
    STOCK_MIN, STOCK_MAX = -2_147_483_648, 2_147_483_647

    expected_stock = NumberField(
        label=capfirst(Product._meta.get_field("expected_stock").verbose_name),
        help_text=Product._meta.get_field("expected_stock").help_text,
        min_value=STOCK_MIN,
        max_value=STOCK_MAX,
        initial=0,
    )

    class Meta:
        model = Product
        fields = ["code", "name", "expected_stock"]
        # A code with an invisible character would be another product: refused, not kept.
        field_classes = {"code": StrictTextField, "name": StrictTextField}


class ProductCreateView(PermissionRequiredMixin, FormView):
    permission_required = "orders.add_product"
    form_class = ProductForm
    template_name = "orders/product_form.html"

    def form_valid(self, form):
        product = form.save()
        messages.success(self.request, _("Registered %(code)s.") % {"code": product.code})
        return redirect("orders:products")


class ProductUpdateView(PermissionRequiredMixin, UpdateView):
    permission_required = "orders.change_product"
    model = Product
    form_class = ProductForm
    template_name = "orders/product_form.html"

    def get_success_url(self):
        messages.success(self.request, _("Saved."))
        return reverse("orders:products")


class StockImportView(UploadLimitMixin, PermissionRequiredMixin, View):
    permission_required = "orders.change_product"

    def after_refusal(self, kwargs) -> str:
        return reverse("orders:products")

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if self.size_limit.exceeded:
            return redirect("orders:products")  # dispatch answers with the limit
        if not form.is_valid():
            messages.error(request, _("Choose a CSV file."))
            return redirect("orders:products")
        try:
            job = jobs.create_job(ImportJob.STOCK, form.cleaned_data["file"], user=request.user)
        except jobs.UploadTooLarge:
            return self.too_large(self.kwargs)
        tasks.start(job)
        return redirect("orders:job", pk=job.pk)
