"""The one module that writes a shop's section values and secrets.

Every change to a shop goes through here: the shop form, an OAuth sign-in, a connection test
that learnt something (an expiry date, a host key, a new token), forgetting a host key, key
rotation, deletion, and (issue L) the API and the bulk import. Each write locks the shop's row,
applies the change, lets the sections react (a new key restarts its expiry), recomputes the
expiry rows and records the change history in one transaction: all of it commits, or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from tempostar import crypto

from .expiry import sync_expiries
from .models import Shop, ShopChange

MASK, CHANGED = "********", "***CHANGED***"
# Where a change came from, shown in the history.
CONSOLE, API, IMPORT, OAUTH, SYSTEM = "console", "api", "import", "oauth", "system"


class SecretsUnreadable(Exception):
    """The stored secrets cannot be opened with the configured keys; nothing was saved."""


@dataclass
class Edit:
    """A change to a shop as plain data, from the form, the API or a file.

    values: "section.field" -> value ("" or None removes it); secrets: "section.field" -> a
    new secret; clear: secrets to remove; entered: date fields the user typed in this edit
    (a new key's issue date then stays as typed instead of defaulting to today).
    """

    common: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    clear: set[str] = field(default_factory=set)
    entered: set[str] = field(default_factory=set)


class _Secrets:
    """The shop's secrets, decrypted only when a write needs them."""

    def __init__(self, shop: Shop):
        self.shop, self._values, self.dirty = shop, None, False

    @property
    def values(self) -> dict[str, str]:
        if self._values is None:
            try:
                self._values = self.shop.get_secrets()
            except crypto.DecryptionError as exc:
                raise SecretsUnreadable() from exc
        return self._values

    def update(self, new: dict[str, str]) -> None:
        if new:
            self.values.update(new)
            self.dirty = True

    def remove(self, names) -> None:
        names = [n for n in names if n in (self.shop.secret_hints or {})]
        if names:
            for name in names:
                self.values.pop(name, None)
            self.dirty = True


def _write(shop: Shop, mutate, *, user=None, via=CONSOLE, action=ShopChange.UPDATE, audit=True):
    """Lock, change, save, recompute expiries and record history in one transaction.

    Inside a caller's transaction (a bulk import) no savepoint is taken: a failure here fails
    the caller's transaction as a whole, which is what all-or-nothing needs anyway."""
    with transaction.atomic(savepoint=False):
        new = not shop.pk
        if not new:
            shop = Shop.objects.select_for_update().get(pk=shop.pk)
        secrets = _Secrets(shop)
        changes = mutate(shop, secrets)
        if secrets.dirty:
            shop.set_secrets(secrets.values)
        shop.save()
        sync_expiries(shop, new=new)
        if audit and (changes or action != ShopChange.UPDATE):
            record_change(shop, user, action, changes, via=via)
    return shop, changes


def record_change(shop: Shop, user, action: str, changes: list[dict], *, via=CONSOLE):
    return ShopChange.objects.create(
        shop=shop,
        shop_code=shop.code,
        user=user if user is not None and user.pk else None,
        username=getattr(user, "username", "") or "",
        action=action,
        via=via,
        changes=changes,
    )


# ---- edits by people (form, API, file) ---------------------------------------------------------


def create(connector, edit: Edit, *, user=None, via=CONSOLE) -> Shop:
    shop = Shop(mall=connector.code)
    shop, _changes = _write(
        shop,
        lambda s, secrets: _apply(s, connector, edit, secrets, new=True),
        user=user,
        via=via,
        action=ShopChange.CREATE,
    )
    return shop


def update(shop: Shop, edit: Edit, *, user=None, via=CONSOLE) -> tuple[Shop, list[dict]]:
    """Apply an edit; returns the saved shop and the changes recorded (empty: nothing changed)."""
    return _write(
        shop,
        lambda s, secrets: _apply(s, s.connector, edit, secrets, new=False),
        user=user,
        via=via,
    )


def _apply(shop: Shop, connector, edit: Edit, secrets: _Secrets, *, new: bool) -> list[dict]:
    _check_names(connector, edit)
    changes = []
    for name, value in edit.common.items():
        old = "" if new else getattr(shop, name)
        value = "" if value is None else value
        if old != value:
            setattr(shop, name, value)
            if not (new and value == ""):
                changes.append({"field": name, "old": old, "new": value})

    before = dict(shop.settings or {})
    after = dict(before)
    for fid, value in edit.values.items():
        if hasattr(value, "isoformat"):
            value = value.isoformat()  # dates are kept as ISO text in JSON
        if value in (None, ""):
            after.pop(fid, None)
        else:
            after[fid] = value
    _new_secret_lifecycle(connector, after, set(edit.secrets), edit.entered)
    for section, spec in connector.fields():
        fid = section.field_id(spec)
        if not spec.secret and before.get(fid) != after.get(fid):
            changes.append({"field": fid, "old": before.get(fid, ""), "new": after.get(fid, "")})
    shop.settings = after

    hints = shop.secret_hints or {}
    new_secrets = {k: v for k, v in edit.secrets.items() if v}
    cleared = [fid for fid in edit.clear if fid in hints and fid not in new_secrets]
    secrets.update(new_secrets)
    secrets.remove(cleared)
    for fid in new_secrets:
        changes.append({"field": fid, "old": MASK if fid in hints else "", "new": CHANGED})
    for fid in cleared:
        changes.append({"field": fid, "old": MASK, "new": ""})
    return changes


def _check_names(connector, edit: Edit) -> None:
    """An edit may only name the connector's declared fields (values and secrets apart)."""
    values, secrets = set(), set()
    for section, spec in connector.fields():
        (secrets if spec.secret else values).add(section.field_id(spec))
    unknown = (set(edit.values) - values) | ((set(edit.secrets) | edit.clear) - secrets)
    if unknown:
        raise ValueError(f"Not fields of {connector.code}: {sorted(unknown)}")


def _new_secret_lifecycle(connector, values: dict, changed: set[str], entered: set[str]):
    """Let each section react to its new secrets (issue dates, fetched expiries)."""
    today = timezone.localdate()
    for section in connector.sections:
        prefix = f"{section.key}."
        own_changed = {fid[len(prefix) :] for fid in changed if fid.startswith(prefix)}
        if not own_changed:
            continue
        own = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}
        own_entered = {fid[len(prefix) :] for fid in entered if fid.startswith(prefix)}
        section.new_secret_values(own, own_changed, today, own_entered)
        for key in [k for k in values if k.startswith(prefix)]:
            del values[key]
        values.update({f"{prefix}{k}": v for k, v in own.items()})


# ---- what the system learns (connection tests, token refresh) -----------------------------------


def save_learnt(shop_id: int, section, values: dict, secrets: dict) -> None:
    """Store what a check or a token refresh learnt: only names the section declares.

    Not shown in the history (a token refresh happens every hour); the check's own record
    says what was learnt and when."""
    if not (values or secrets):
        return
    allowed_values, allowed_secrets = section.value_names(), section.secret_names()
    unknown = (set(values) - allowed_values) | (set(secrets) - allowed_secrets)
    if unknown:
        raise ValueError(f"{section.key} does not declare {sorted(unknown)}")

    def mutate(shop, box):
        shop.settings = {
            **(shop.settings or {}),
            **{f"{section.key}.{k}": v for k, v in values.items()},
        }
        box.update({f"{section.key}.{k}": v for k, v in secrets.items()})
        return []

    _write(Shop(pk=shop_id), mutate, audit=False)


def save_sign_in(shop: Shop, section, values: dict, secrets: dict, *, user) -> Shop:
    """Store the tokens of a completed OAuth sign-in; the old grant's dates are dropped."""

    def mutate(shop, box):
        settings_values = dict(shop.settings or {})
        for key in section.stored_values:
            settings_values.pop(f"{section.key}.{key}", None)  # belongs to the old grant
        settings_values.update({f"{section.key}.{k}": v for k, v in values.items()})
        shop.settings = settings_values
        box.update({f"{section.key}.{k}": v for k, v in secrets.items()})
        prefix = f"{section.key}."
        own = {
            k[len(prefix) :]: v
            for k, v in (shop.secret_hints or {}).items()
            if k.startswith(prefix)
        }
        had = section.signed_in(own)
        return [
            {
                "field": f"{section.key}.sign_in",
                "old": MASK if had else "",
                "new": CHANGED,
            }
        ]

    shop, _changes = _write(shop, mutate, user=user, via=OAUTH)
    return shop


def forget(shop: Shop, section, name: str, *, user) -> bool:
    """Forget stored state an administrator may reset (a pinned host key). True if any."""
    keys = section.forgettable.get(name)
    if not keys:
        raise LookupError(f"{section.key} has no {name!r} to forget")
    forgotten = []

    def mutate(shop, box):
        values = dict(shop.settings or {})
        old = values.get(f"{section.key}.{name}", "")
        for key in keys:
            if values.pop(f"{section.key}.{key}", None) is not None:
                forgotten.append(key)
        shop.settings = values
        return [{"field": f"{section.key}.{name}", "old": old, "new": ""}] if old else []

    _write(shop, mutate, user=user)
    return bool(forgotten)


# ---- deletion and key rotation -----------------------------------------------------------------


def delete(shop: Shop, *, user, via=CONSOLE) -> None:
    """Delete the shop and record it, together (a refused delete records nothing)."""
    with transaction.atomic():
        record_change(shop, user, ShopChange.DELETE, [], via=via)
        shop.delete()


@dataclass
class RotationReport:
    rotated: int = 0
    failed: list = field(default_factory=list)  # shop codes whose secrets no key opens


def reencrypt(batch_size: int = 500, progress=None) -> RotationReport:
    """Re-encrypt every shop's secrets under the first key, a batch per transaction.

    A shop whose secrets no key opens is recorded and skipped; the others go on."""
    report, last_pk = RotationReport(), 0
    while True:
        with transaction.atomic():
            batch = list(
                Shop.objects.select_for_update()
                .filter(pk__gt=last_pk)
                .exclude(secrets="")
                .order_by("pk")
                .only("pk", "code", "secrets")[:batch_size]
            )
            if not batch:
                break
            for shop in batch:
                try:
                    token = crypto.rotate(shop.secrets)
                except crypto.DecryptionError:
                    report.failed.append(shop.code)
                    continue
                Shop.objects.filter(pk=shop.pk).update(secrets=token)
                report.rotated += 1
            last_pk = batch[-1].pk
        if progress:
            progress(report)
    return report
