"""Run one section's connection check: pure Python, given plain values and secrets."""

from __future__ import annotations

from .checks import CheckContext, CheckResult, from_exception
from .transports.http import HttpFailure


def section_values(section, settings: dict, secrets: dict) -> tuple[dict, dict]:
    """The section's own values and secrets, keyed by field name (not "section.field")."""
    prefix = f"{section.key}."
    values = {k[len(prefix) :]: v for k, v in settings.items() if k.startswith(prefix)}
    own_secrets = {k[len(prefix) :]: v for k, v in secrets.items() if k.startswith(prefix)}
    return values, own_secrets


def run_refresh(section, settings: dict, secrets: dict, **kwargs) -> CheckResult:
    """Only refresh an OAuth grant (the token batch): no further call to the mall's API."""
    return run_check(section, settings, secrets, action=section.refresh_grant, **kwargs)


def run_check(
    section,
    settings: dict,
    secrets: dict,
    *,
    shop_code: str,
    timeout: float,
    callback_url: str = "",
    action=None,
) -> CheckResult:
    values, own_secrets = section_values(section, settings, secrets)
    ctx = CheckContext(
        values=values,
        secrets=own_secrets,
        shop_code=shop_code,
        timeout=timeout,
        callback_url=callback_url,
    )
    try:
        result = (action or section.check)(ctx)
    except HttpFailure as failure:
        return failure.result
    except Exception as exc:  # noqa: BLE001 - every failure becomes a result for the operator
        return from_exception(exc)
    # A check may store only what its section declares (its fields and stored state).
    undeclared = (set(result.store) - section.value_names()) | (
        set(result.store_secrets) - section.secret_names()
    )
    if undeclared:
        return CheckResult.fail("unexpected", f"undeclared values: {sorted(undeclared)}")
    return result
