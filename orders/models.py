from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import RowJSONField


class Product(models.Model):
    """A registered product: orders for its code reduce its expected stock (想定在庫数)."""

    code = models.CharField(_("product code"), max_length=100, unique=True)
    name = models.CharField(_("product name"), max_length=255, blank=True)
    expected_stock = models.IntegerField(
        _("expected stock"),
        default=0,
        help_text=_(
            "Goes down by the ordered quantity when an imported order line has this "
            "product code. May go below zero (oversold)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Order(models.Model):
    """An order imported from the TEMPOSTAR-format CSV, with every column kept."""

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="orders", verbose_name=_("shop")
    )
    order_number = models.CharField(_("shop order number"), max_length=100)
    ordered_at = models.DateTimeField(_("ordered at"))
    customer_name = models.CharField(_("customer name"), max_length=200)
    total = models.BigIntegerField(_("amount billed"), null=True, blank=True)
    columns = RowJSONField(_("columns"), default=dict)  # every order-level column, as in the file
    import_job = models.ForeignKey(
        "ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("import"),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["shop", "order_number"], name="one_order_per_number")
        ]

    def __str__(self) -> str:
        return self.order_number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()  # the CSV line it came from
    product_code = models.CharField(max_length=100, db_index=True)
    product_name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    columns = RowJSONField(default=dict)  # every line-level column, as in the file

    class Meta:
        ordering = ["order", "line_no"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.product_code} x{self.quantity}"


class ImportJob(models.Model):
    """One upload of an order or stock CSV; large files run in the worker with progress."""

    ORDERS, STOCK = "orders", "stock"
    KINDS = [(ORDERS, _("order CSV")), (STOCK, _("stock CSV"))]
    PENDING, RUNNING, DONE, REFUSED, FAILED = "pending", "running", "done", "refused", "failed"
    STATUSES = [
        (PENDING, _("waiting")),
        (RUNNING, _("importing")),
        (DONE, _("imported")),
        (REFUSED, _("refused")),
        (FAILED, _("failed")),
    ]

    kind = models.CharField(_("kind"), max_length=8, choices=KINDS)
    shop = models.ForeignKey(
        "shops.Shop",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("shop"),
    )
    filename = models.CharField(_("file name"), max_length=255)
    path = models.CharField(_("stored file"), max_length=500)  # under VAR_DIR/imports
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=STATUSES, default=PENDING)
    progress = models.PositiveIntegerField(_("progress"), default=0)  # rows processed
    total = models.PositiveIntegerField(_("rows"), default=0)  # rows in the file (once counted)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        "auth.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Who runs it ("host:pid:token"), since when, how many runs started, when its message was
    # last sent and how often the recovery job sent it again (tempostar.work, orders.tasks).
    owner = models.CharField(_("run by"), max_length=100, blank=True, default="")
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("runs"), default=0)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    requeues = models.PositiveSmallIntegerField(_("sent again"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename} ({self.get_status_display()})"
