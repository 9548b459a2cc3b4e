"""Connection settings from an exported Postman environment (E&C's way of handing them out).

E&C's guide has users fill a Postman environment with ``auth_client_id``, ``auth_client_secret``,
``auth_scope``, ``auth_access_token_url``, ``subscription_key`` and ``baseUrl``; Postman exports
it (*Environments › … › Export*, format v2.1) as::

    {"name": "eCore", "_postman_variable_scope": "environment",
     "values": [{"key": "baseUrl", "value": "https://…", "enabled": true, "type": "default"},
                {"key": "auth_client_secret", "value": "", "currentValue": "…", "type": "secret"}]}

A variable's ``currentValue`` (what the user typed, kept locally by Postman) wins over its shared
initial ``value``; disabled variables are skipped; ``{{other}}`` inside a value is replaced by the
environment's own variable. :func:`read_environment` returns the settings by their
:class:`~ecore_xl.config.Settings` names; which are secrets is ``config.SECRET_FIELDS``'s business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecore_xl.errors import ConfigError

__all__ = ["POSTMAN_KEYS", "read_environment"]

#: Postman variable (compared without case, ``-`` and ``_``) -> setting name
POSTMAN_KEYS: dict[str, str] = {
    "baseurl": "base_url",
    "authaccesstokenurl": "token_url",
    "authclientid": "client_id",
    "authclientsecret": "client_secret",
    "authscope": "scope",
    "subscriptionkey": "subscription_key",
    "subscriptionkeysecondary": "subscription_key_secondary",
    "secondarysubscriptionkey": "subscription_key_secondary",
}
_VAR = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_HOW_TO_EXPORT = (
    "In Postman, open Environments, choose '...' next to the eCore environment > Export, and "
    "pass the saved .json file."
)


def _canonical(key: str) -> str:
    return re.sub(r"[\s_\-]", "", key).lower()


def _load(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file. {_HOW_TO_EXPORT}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path.name} is not a Postman environment export ({type(exc).__name__}). "
            f"{_HOW_TO_EXPORT}"
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("values"), list):
        hint = " (that is a collection: export the environment)" if "item" in (data or {}) else ""
        raise ConfigError(
            f"{path.name} is not a Postman environment export: it has no 'values' list{hint}. "
            f"{_HOW_TO_EXPORT}"
        )
    return data


def _variables(values: list[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for var in values:
        if not isinstance(var, Mapping) or var.get("enabled") is False or var.get("disabled"):
            continue
        key = var.get("key")
        if not isinstance(key, str) or not key.strip():
            continue
        for field in ("currentValue", "value"):
            value = var.get(field)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                text = str(value).strip()
                if text:
                    out[key.strip()] = text
                    break
    return out


def _expand(name: str, value: str, variables: Mapping[str, str], path: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        inner = match[1]
        if inner not in variables or _VAR.search(variables[inner]):
            raise ConfigError(
                f"{path.name}: {name} refers to {{{{{inner}}}}}, which the environment does not "
                "define (or defines through another variable): fill it in Postman and export "
                "again."
            )
        return variables[inner]

    return _VAR.sub(replace, value)


def read_environment(path: str | Path) -> dict[str, str]:
    """The eCore settings an exported Postman environment holds, by setting name.

    ConfigError (naming the file and what to do) when the file is not an environment export or
    holds none of the eCore variables.
    """
    path = Path(path)
    variables = _variables(list(_load(path)["values"]))
    settings: dict[str, str] = {}
    for key, value in variables.items():
        name = POSTMAN_KEYS.get(_canonical(key))
        if name is not None and name not in settings:
            settings[name] = _expand(key, value, variables, path)
    if not settings:
        raise ConfigError(
            f"{path.name} holds none of the eCore variables (baseUrl, auth_client_id, "
            "auth_client_secret, auth_scope, auth_access_token_url, subscription_key): is it the "
            "eCore environment, with its values filled in?"
        )
    return settings
