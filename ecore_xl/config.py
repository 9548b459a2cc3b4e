"""Settings: explicit arguments > ``ECORE_*`` environment > user config file > defaults.

The config file is TOML in the platform config directory (``ecore-xl configure`` writes it), with
named profiles::

    default_profile = "prod"
    [profiles.prod]
    token_url = "https://<tenant>.b2clogin.com/<tenant>.onmicrosoft.com/<policy>/oauth2/v2.0/token"
    client_id = "..."
    scope = "https://<tenant>.onmicrosoft.com/<api>/.default"

Secrets (client secret, subscription keys) come from the environment or the OS keyring, never from
the file: a file that holds one is refused. ``repr()`` shows at most a secret's first four
characters.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ecore_xl.errors import ConfigError, mask_secret
from ecore_xl.redaction import register_secret

__all__ = [
    "DEFAULT_BASE_URL",
    "KEYRING_SERVICE",
    "SECRET_FIELDS",
    "Settings",
    "config_dir",
    "config_file_path",
    "is_loopback_host",
    "keyring_get",
    "keyring_set",
    "log_dir",
    "read_config_file",
]

DEFAULT_BASE_URL = "https://api.eecc.energy/v1"
KEYRING_SERVICE = "ecore_xl"
SECRET_FIELDS = ("client_secret", "subscription_key", "subscription_key_secondary")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def is_loopback_host(host: str | None) -> bool:
    """True for a host that is loopback *by rule*: ``localhost``, 127.0.0.0/8, ``::1``.

    Decided from the text alone, never by asking DNS: ``2130706433`` or ``127.1`` (which the
    resolver maps to 127.0.0.1) and any name in a hosts file are not loopback here.
    """
    name = (host or "").strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_secure_url(variable: str, url: str, what: str) -> None:
    """ConfigError unless ``url`` is https://, or http:// to a loopback host (the mock)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise ConfigError(
            f"{variable} must start with https:// and name a host (got {url!r}).",
            variable=variable,
        )
    if parts.scheme.lower() == "http" and not is_loopback_host(host):
        raise ConfigError(
            f"{variable} is plain http:// to {host}: {what} would travel in clear text. Use "
            "https:// (http:// only for a loopback host: 127.0.0.1, ::1, localhost).",
            variable=variable,
        )


def config_dir() -> Path:
    """The user's config directory (``ECORE_CONFIG_DIR`` overrides the platform default)."""
    if env := os.environ.get("ECORE_CONFIG_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("ecore_xl", appauthor=False))


def config_file_path() -> Path:
    """The TOML config file (``ECORE_CONFIG_FILE`` overrides ``config_dir()/config.toml``)."""
    if env := os.environ.get("ECORE_CONFIG_FILE"):
        return Path(env)
    return config_dir() / "config.toml"


def log_dir() -> Path:
    """Where the full detail of errors goes (``ECORE_LOG_DIR`` overrides the platform default)."""
    if env := os.environ.get("ECORE_LOG_DIR"):
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir("ecore_xl", appauthor=False))


def _keyring_disabled() -> bool:
    return os.environ.get("ECORE_NO_KEYRING", "").strip().lower() in _TRUE


def keyring_get(profile: str, name: str) -> str | None:
    """A secret from the OS keyring, or None when there is none or no keyring works here."""
    if _keyring_disabled():
        return None
    try:
        import keyring
        import keyring.errors

        return keyring.get_password(KEYRING_SERVICE, f"{profile}:{name}")
    except Exception:  # no backend, locked store, D-Bus absent: treat as "not stored"
        return None


def keyring_set(profile: str, name: str, value: str) -> None:
    """Store a secret in the OS keyring; ConfigError when no keyring works on this machine."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, f"{profile}:{name}", value)
    except Exception as exc:
        raise ConfigError(
            "No OS keyring is available to store the secret: set it as an environment variable "
            f"(ECORE_{name.upper()}) instead.",
            variable=f"ECORE_{name.upper()}",
            detail=type(exc).__name__,
        ) from None


@dataclass(frozen=True)
class Settings:
    """Everything the client needs; build with :meth:`Settings.load`."""

    base_url: str = DEFAULT_BASE_URL
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scope: str | None = None
    subscription_key: str | None = field(default=None, repr=False)
    subscription_key_secondary: str | None = field(default=None, repr=False)
    subscription_key_header: str = "Ocp-Apim-Subscription-Key"
    timezone: str = "Europe/Berlin"
    profile: str = "default"
    ca_bundle: str | None = None
    #: a PAC file (URL, file: URL or path) for the proxy; "off": no PAC/WPAD discovery
    proxy_pac: str | None = None
    cache_dir: str | None = None
    catalogue: str | None = None
    offline: bool = False
    cache_ttl: float = 900.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    retries: int = 5
    max_retry_after: float = 60.0
    max_pages: int = 10_000
    #: the most API requests in flight at once: a fetch starts with 4 and adapts up to this
    #: while answers come back as fast, and halves on a 429 (api/concurrency.py)
    max_workers: int = 16
    #: requests one fetch may plan (meters x months); more is a formula gone wrong
    max_requests: int = 1_000
    #: API text that looks like a formula is written as text (quote prefix, ``'`` in CSV)
    escape_formulas: bool = True
    #: seconds one API request may take in all (connect, waits, retries, the whole body)
    request_deadline: float = 300.0
    #: seconds one worksheet-function call may take before its cell gets an answer
    formula_deadline: float = 30.0
    #: bytes one response body may have once decompressed (a page is ~0.2 MB)
    max_response_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        # every Settings, however built (load, replace, the constructor), sends secrets safely
        check_secure_url("ECORE_BASE_URL", self.base_url, "the access token and subscription key")
        if self.token_url:
            check_secure_url("ECORE_TOKEN_URL", self.token_url, "the client secret")
        for name in SECRET_FIELDS:  # from now on no message shows them (ecore_xl.redaction)
            register_secret(getattr(self, name))

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        use_file: bool = True,
        use_keyring: bool = True,
        **overrides: Any,
    ) -> Settings:
        """Resolve settings: ``overrides`` > environment > config-file profile > defaults."""
        env = os.environ if environ is None else environ
        names = {f.name for f in fields(cls)}
        unknown = set(overrides) - names
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        file_data = read_config_file() if use_file else {}
        profile = (
            profile
            or overrides.get("profile")
            or env.get("ECORE_PROFILE")
            or file_data.get("default_profile")
            or "default"
        )
        from_file = _profile_section(file_data, profile)
        values: dict[str, Any] = {"profile": profile}
        for f in fields(cls):
            if f.name == "profile":
                continue
            if f.name in overrides and overrides[f.name] is not None:
                raw: Any = overrides[f.name]
            elif (var := f"ECORE_{f.name.upper()}") in env and env[var].strip() != "":
                raw = env[var].strip()
            elif f.name in from_file:
                raw = from_file[f.name]
            elif f.name in SECRET_FIELDS and use_keyring:
                raw = keyring_get(profile, f.name)
                if raw is None:
                    continue
            else:
                continue
            values[f.name] = _coerce(f, raw)
        settings = cls(**values)
        settings._validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    # ---- checks -------------------------------------------------------------------------------

    def _validate(self) -> None:
        for name in ("request_deadline", "formula_deadline", "max_response_bytes"):
            if not getattr(self, name) > 0:
                raise ConfigError(
                    f"ECORE_{name.upper()} must be a positive number (got {getattr(self, name)}).",
                    variable=f"ECORE_{name.upper()}",
                )
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.timezone)
        except Exception:
            raise ConfigError(
                f"ECORE_TIMEZONE {self.timezone!r} is not a time zone: use a name like "
                "'Europe/Berlin'.",
                variable="ECORE_TIMEZONE",
            ) from None
        if self.ca_bundle and not Path(self.ca_bundle).exists():
            raise ConfigError(
                f"ECORE_CA_BUNDLE points to {self.ca_bundle!r}, which does not exist.",
                variable="ECORE_CA_BUNDLE",
            )

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first missing setting among ``names``."""
        for name in names:
            if not getattr(self, name):
                var = f"ECORE_{name.upper()}"
                how = (
                    "run 'ecore-xl configure' or set the environment variable"
                    if name in SECRET_FIELDS
                    else "set the environment variable or run 'ecore-xl configure'"
                )
                raise ConfigError(f"{var} is not set: {how}.", variable=var)

    def require_api(self) -> None:
        """Everything a real API call needs."""
        self.require(
            "base_url", "token_url", "client_id", "client_secret", "scope", "subscription_key"
        )

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = mask_secret(value) if f.name in SECRET_FIELDS else repr(value)
            parts.append(f"{f.name}={shown}")
        return f"Settings({', '.join(parts)})"

    __str__ = __repr__


def check_config_permissions(path: Path) -> None:
    """Refuse a config file others may write (POSIX): it decides where the client secret and
    the keys are sent, so anyone who can edit it can collect them with a token URL of theirs."""
    if os.name == "nt":
        return
    import stat

    for what, target in (("file", path), ("folder", path.parent)):
        try:
            mode = target.stat().st_mode
        except OSError:
            continue
        sticky = what == "folder" and mode & stat.S_ISVTX
        if mode & stat.S_IWOTH and not sticky:
            raise ConfigError(
                f"The config {what} {target} may be written by every user of this machine, "
                "who could send your secrets to a server of theirs: refused. Run "
                f"'chmod o-w {target}' (ecore-xl configure writes it 0600).",
                variable="ECORE_CONFIG_FILE",
            )


def read_config_file() -> dict[str, Any]:
    path = config_file_path()
    if not path.is_file():
        return {}
    check_config_permissions(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Config file {path} cannot be read: {exc}. Fix or delete it.") from None
    return data


def _profile_section(data: Mapping[str, Any], profile: str) -> dict[str, Any]:
    profiles = data.get("profiles", {})
    section = dict(profiles.get(profile, {})) if isinstance(profiles, Mapping) else {}
    if profile != "default" and profiles and profile not in profiles:
        raise ConfigError(
            f"Profile {profile!r} is not in {config_file_path()}: "
            f"known profiles are {', '.join(sorted(profiles)) or 'none'}.",
            variable="ECORE_PROFILE",
        )
    leaked = [name for name in SECRET_FIELDS if name in section]
    if leaked:
        raise ConfigError(
            f"{config_file_path()} holds a secret ({', '.join(leaked)}): remove it from the file "
            "and store it with 'ecore-xl configure' (OS keyring) or an environment variable.",
            variable=f"ECORE_{leaked[0].upper()}",
        )
    return section


def _coerce(f: dataclasses.Field[Any], raw: Any) -> Any:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    var = f"ECORE_{f.name.upper()}"
    try:
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{var} must be a {kind} (got {raw!r}).", variable=var) from None
    return str(raw)
