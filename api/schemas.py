"""The API's schemas (pydantic, through django-ninja): they are the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


class SecretState(Schema):
    set: bool = Field(description="Whether a value is stored. The value itself is never read.")
    hint: str = Field(description='The last characters of a long secret, such as "…a1b2".')


class ShopIn(Schema):
    """A shop to create or the fields to change. Omitted fields keep their value."""

    model_config = ConfigDict(extra="forbid")

    mall: str | None = Field(None, description="Mall code (GET /malls); required to create.")
    name: str | None = Field(None, description="Shop name (official), printed on documents.")
    short_name: str | None = Field(None, description="Shop name (short), shown in the console.")
    url: str | None = Field(None, description="The shop's full URL (https://...).")
    mobile_url: str | None = Field(None, description="Feature phone URL: the same or blank.")
    manager_name: str | None = None
    genre: str | None = Field(None, description="A genre code, or blank.")
    notify_emails: str | None = Field(None, description="Comma-separated reminder recipients.")
    sections: dict[str, dict[str, Any]] | None = Field(
        None,
        description=(
            'Mall settings: {"<section key>": {"<field>": value}} (GET /malls lists them). '
            "A secret is write-only: a string sets it, null removes it, leaving it out keeps it."
        ),
    )


class ShopOut(Schema):
    code: str
    mall: str
    mall_label: str
    name: str
    short_name: str
    url: str
    mobile_url: str
    manager_name: str
    genre: str
    notify_emails: str
    order_mail_address: str | None
    created_at: datetime
    updated_at: datetime
    sections: dict[str, dict[str, Any]] = Field(
        description='Each section\'s fields; a secret reads {"set": true, "hint": "…a1b2"}.'
    )


class ShopSaved(ShopOut):
    warnings: list[str] = Field(default_factory=list)


class ShopPage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[ShopOut]


class FieldError(Schema):
    field: str = Field(description='The body\'s key, such as "url" or "sections.ftp.user".')
    label: str = Field(description="The field's name as the console shows it.")
    messages: list[str]


class Invalid(Schema):
    detail: str
    errors: list[FieldError]


class Message(Schema):
    detail: str


class CheckOut(Schema):
    id: int
    shop: str | None
    section: str
    status: str = Field(description="pending, running, success, failed or untested")
    status_label: str
    done: bool
    message: str
    detail: str
    info: dict[str, Any]
    latency_ms: int | None
    finished_at: str | None


class BatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    shops: list[str] | None = Field(None, description="Shop codes; all shops when omitted.")
    mall: str | None = Field(None, description="Only the shops of this mall.")


class BatchOut(Schema):
    id: int
    total: int
    done: int
    counts: dict[str, int]
    finished: bool


class ExpiryOut(Schema):
    shop: str
    shop_name: str
    mall: str
    section: str
    credential: str
    label: str
    expires_at: datetime
    expires_on: str = Field(description="The last valid day (local date).")
    days_left: int
    source: str


class ExpiryPage(Schema):
    count: int
    page: int
    pages: int
    per_page: int
    results: list[ExpiryOut]


class ImportJobOut(Schema):
    id: int
    shop: str | None
    filename: str
    status: str = Field(description="pending, running, done, refused or failed")
    progress: int
    total: int
    summary: dict[str, Any]
    errors: list[str]
    created_at: datetime
    finished_at: datetime | None


class FieldOut(Schema):
    name: str
    label: str
    kind: str
    secret: bool
    required: bool
    default: Any = None
    choices: list[list[str]] = Field(default_factory=list)


class SectionOut(Schema):
    key: str
    title: str
    after_save: bool = Field(description="Available only once the shop is registered.")
    testable: bool
    fields: list[FieldOut]


class MallOut(Schema):
    code: str
    label: str
    sections: list[SectionOut]


class Me(Schema):
    username: str
    token: str
    permissions: list[str]
