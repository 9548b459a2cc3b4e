"""Which proxy a request goes through, and why: environment, PAC file, WPAD or the OS.

Company laptops rarely set ``HTTPS_PROXY``: the proxy comes from a PAC file (a JavaScript
function ``FindProxyForURL(url, host)``) named in the OS settings, or found by WPAD. For each
host :meth:`ProxyFinder.choose` goes down this list and stops at the first answer:

1. a loopback host (127.0.0.0/8, ``localhost``, ``::1``) is never proxied;
2. ``ECORE_PROXY_PAC`` (a URL, ``file://`` URL or path of a PAC file) when set;
3. the environment: ``NO_PROXY`` (direct), else ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY``;
4. the PAC URL of the OS: Windows' ``AutoConfigURL`` (registry, as Internet Options set it),
   macOS' ``scutil --proxy`` (``ProxyAutoConfigURLString``), GNOME's ``gsettings``
   (``org.gnome.system.proxy`` mode ``auto``);
5. the OS's fixed proxy settings (Windows registry, macOS), as Python's ``urllib`` reads them;
6. WPAD: ``http://wpad.<your domain>/wpad.dat``, each parent domain in turn;
7. direct.

``ECORE_PROXY_PAC=off`` skips the PAC steps (2, 4, 6). A PAC file that cannot be fetched (a
laptop at home, away from the intranet server) is passed over, and the reason says so; one named
by ``ECORE_PROXY_PAC`` that cannot be read is a :class:`~ecore_xl.errors.ConfigError`.

PAC files are JavaScript; they are run by ``pypac`` (PAC functions such as ``isInNet`` and
``dnsDomainIs``, WPAD URL rules with the public-suffix list, a small JavaScript engine through
``dukpy``), a maintained library that has done this for requests users since 2016 — writing a
JavaScript evaluator here would be worse. Only ``PROXY``/``HTTPS`` and ``DIRECT`` answers are
used (``SOCKS`` needs a package requests does not bring); the first usable one wins, and
there is no failover to the next one when that proxy is down (the error names the proxy).

Proxies that want NTLM or Kerberos (Negotiate) sign-in are not spoken to directly: run a local
relay such as ``px`` (it listens on 127.0.0.1:3128) and set
``HTTPS_PROXY=http://127.0.0.1:3128`` — see the README.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ecore_xl.errors import ConfigError

__all__ = [
    "OFF",
    "ProxyChoice",
    "ProxyFinder",
    "os_pac_url",
    "read_pac",
    "wpad_candidates",
]

#: ``ECORE_PROXY_PAC`` values that turn PAC and WPAD discovery off
OFF = frozenset({"off", "none", "no", "0", "false", "direct"})
#: a PAC file larger than this is not one
_MAX_PAC_BYTES = 1_000_000
_PAC_TIMEOUT = (2.0, 5.0)  # connect, read: a PAC server is on the intranet or not there at all
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


@dataclass(frozen=True)
class ProxyChoice:
    """The proxy for one URL (None: direct) and the sentence that says why."""

    proxy: str | None
    reason: str


# ---- where a PAC file comes from ------------------------------------------------------------


def _windows_pac_url() -> str | None:
    from pypac.os_settings import autoconfig_url_from_registry

    return autoconfig_url_from_registry()


def _macos_pac_url() -> str | None:
    out = _run(["scutil", "--proxy"])
    values = dict(re.findall(r"^\s*(\w+)\s*:\s*(.*?)\s*$", out, flags=re.MULTILINE))
    if values.get("ProxyAutoConfigEnable") == "1" and values.get("ProxyAutoConfigURLString"):
        return values["ProxyAutoConfigURLString"]
    return None


def _gnome_pac_url() -> str | None:
    if shutil.which("gsettings") is None:
        return None
    mode = _run(["gsettings", "get", "org.gnome.system.proxy", "mode"]).strip().strip("'")
    if mode != "auto":
        return None
    url = _run(["gsettings", "get", "org.gnome.system.proxy", "autoconfig-url"])
    return url.strip().strip("'") or None


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def os_pac_url() -> tuple[str, str] | None:
    """The PAC URL the operating system is set to, and where that setting is; or None."""
    try:
        if sys.platform == "win32":
            url, where = _windows_pac_url(), "Windows AutoConfigURL"
        elif sys.platform == "darwin":
            url, where = _macos_pac_url(), "macOS scutil --proxy"
        else:
            url, where = _gnome_pac_url(), "GNOME proxy settings"
    except Exception:  # a registry or tool that misbehaves must not stop a fetch
        return None
    return (url, where) if url else None


def wpad_candidates() -> list[str]:
    """WPAD's PAC URLs for this machine's DNS domain, nearest first (pypac's rules)."""
    from pypac.wpad import proxy_urls_from_dns

    try:
        return list(proxy_urls_from_dns())
    except Exception:
        return []


def _local_path(location: str) -> Path | None:
    if location.lower().startswith("file:"):
        parts = urlsplit(location)
        path = unquote(parts.path)
        if re.match(r"^/[A-Za-z]:", path):  # file:///C:/proxy.pac
            path = path[1:]
        return Path(path)
    if not location.lower().startswith(("http://", "https://")):
        return Path(location)
    return None


def read_pac(location: str) -> str:
    """The text of the PAC file at ``location`` (http(s) URL, ``file:`` URL or path).

    Fetched directly (never through a proxy: the PAC file decides the proxy), bounded in time
    and size. OSError when it cannot be had.
    """
    path = _local_path(location)
    if path is not None:
        data = path.read_bytes()[: _MAX_PAC_BYTES + 1]
    else:
        import requests

        with requests.Session() as session:
            session.trust_env = False
            try:
                response = session.get(location, timeout=_PAC_TIMEOUT, stream=True)
                response.raise_for_status()
                data = response.raw.read(_MAX_PAC_BYTES + 1, decode_content=True)
            except requests.RequestException as exc:
                raise OSError(f"{type(exc).__name__}: {exc}") from None
    if len(data) > _MAX_PAC_BYTES:
        raise OSError("larger than 1 MB: not a PAC file")
    return data.decode("utf-8", "replace")


# ---- the choice -----------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Pac:
    """A loaded PAC file: ``answer(url, host)`` is its ``FindProxyForURL`` result."""

    def __init__(self, text: str, source: str) -> None:
        from pypac.parser import MalformedPacError, PACFile

        try:
            self._file = PACFile(text)
        except MalformedPacError as exc:
            raise OSError(f"not a PAC file ({exc})") from None
        self.source = source
        self._lock = threading.Lock()  # one JavaScript context: one call at a time

    def choose(self, url: str, host: str) -> ProxyChoice:
        with self._lock:
            answer = str(self._file.find_proxy_for_url(url, host) or "").strip()
        said = " ".join(answer.split()) or "nothing"
        for entry in filter(None, (e.strip() for e in answer.split(";"))):
            words = entry.split()
            keyword = words[0].upper()
            if keyword == "DIRECT":
                return ProxyChoice(None, f"PAC file {self.source} said {said}")
            if keyword in ("PROXY", "HTTP", "HTTPS") and len(words) == 2:
                scheme = "https" if keyword == "HTTPS" else "http"
                return ProxyChoice(f"{scheme}://{words[1]}", f"PAC file {self.source} said {said}")
        raise OSError(f"PAC file {self.source} said {said}: no PROXY or DIRECT answer to use")


class ProxyFinder:
    """Chooses the proxy of each URL (see the module docstring for the order).

    The collaborators are injectable for tests: ``environ`` (the proxy variables),
    ``os_pac`` (the OS's PAC URL and where it is set), ``os_proxies`` (the OS's fixed proxies),
    ``wpad`` (WPAD's candidate URLs) and ``fetch`` (a PAC file's text).
    """

    def __init__(
        self,
        pac_setting: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        os_pac: Callable[[], tuple[str, str] | None] = os_pac_url,
        os_proxies: Callable[[], Mapping[str, str]] | None = None,
        wpad: Callable[[], list[str]] = wpad_candidates,
        fetch: Callable[[str], str] = read_pac,
    ) -> None:
        setting = (pac_setting or "").strip()
        self.discover = setting.lower() not in OFF
        self.explicit = setting if setting and self.discover else None
        self._environ = environ
        self._os_pac = os_pac
        self._os_proxies = os_proxies or _os_proxies
        self._wpad = wpad
        self._fetch = fetch
        self._lock = threading.Lock()
        self._pac: _Pac | None = None
        self._pac_note = ""
        self._looked = False
        self._wpad_looked = False
        self._wpad_found: _Pac | None = None

    # ---- PAC files --------------------------------------------------------------------------

    def _load(self, location: str, label: str) -> _Pac:
        return _Pac(self._fetch(location), label)

    def _explicit_pac(self) -> _Pac:
        assert self.explicit is not None
        with self._lock:
            if self._pac is None:
                try:
                    self._pac = self._load(self.explicit, self.explicit)
                except OSError as exc:
                    raise ConfigError(
                        f"ECORE_PROXY_PAC {self.explicit} cannot be used: {exc}. Check the "
                        "address (ask IT for the PAC file), or set ECORE_PROXY_PAC=off.",
                        variable="ECORE_PROXY_PAC",
                    ) from None
            return self._pac

    def _discovered_pac(self) -> _Pac | None:
        """The OS's PAC file, else WPAD's: looked for once; notes what failed."""
        with self._lock:
            if self._looked:
                return self._pac
            self._looked = True
            notes = []
            found = self._os_pac()
            if found:
                url, where = found
                try:
                    self._pac = self._load(url, f"{url} ({where})")
                    return self._pac
                except OSError as exc:
                    notes.append(f"PAC file {url} ({where}) could not be read: {exc}")
            self._pac_note = "; ".join(notes)
            return None

    def _wpad_pac(self) -> _Pac | None:
        with self._lock:
            if self._wpad_looked:
                return self._wpad_found
            self._wpad_looked = True
            for url in self._wpad():
                try:
                    self._wpad_found = self._load(url, f"{url} (WPAD)")
                    break
                except OSError:
                    continue
            return self._wpad_found

    # ---- the choice -------------------------------------------------------------------------

    def choose(self, url: str) -> ProxyChoice:
        """The proxy for ``url`` and why (ConfigError only for a bad ``ECORE_PROXY_PAC``)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        scheme = parts.scheme.lower() or "https"
        if _is_loopback(host):
            return ProxyChoice(None, "loopback: never through a proxy")
        if self.explicit is not None:
            return self._from_pac(self._explicit_pac(), url, host, strict=True)
        env = self._env_proxies()
        if env:
            if urllib.request.proxy_bypass_environment(host, env):
                return ProxyChoice(None, f"NO_PROXY lists {host}")
            for key in (scheme, "all"):
                if env.get(key):
                    return ProxyChoice(env[key], f"{key.upper()}_PROXY")
        if self.discover and (pac := self._discovered_pac()) is not None:
            return self._from_pac(pac, url, host)
        fixed = self._fixed_proxy(host, scheme)
        if fixed is not None:
            return fixed
        if self.discover and (pac := self._wpad_pac()) is not None:
            return self._from_pac(pac, url, host)
        return ProxyChoice(None, self._direct_reason())

    def _from_pac(self, pac: _Pac, url: str, host: str, *, strict: bool = False) -> ProxyChoice:
        try:
            return pac.choose(url, host)
        except Exception as exc:  # a PAC function that throws: say so, go direct
            if strict:
                raise ConfigError(
                    f"ECORE_PROXY_PAC {self.explicit}: {exc}", variable="ECORE_PROXY_PAC"
                ) from None
            return ProxyChoice(None, f"{exc}; direct")

    def _env_proxies(self) -> dict[str, str]:
        if self._environ is None:
            return urllib.request.getproxies_environment()
        out: dict[str, str] = {}
        for name, value in self._environ.items():  # the same rule as urllib's, on this mapping
            lowered = name.lower()
            if value and lowered.endswith("_proxy"):
                out[lowered[: -len("_proxy")]] = value
        return out

    def _fixed_proxy(self, host: str, scheme: str) -> ProxyChoice | None:
        proxies = self._os_proxies()
        proxy = proxies.get(scheme) or proxies.get("all")
        if not proxy:
            return None
        try:
            if urllib.request.proxy_bypass(host):
                return ProxyChoice(None, f"the system's proxy settings bypass {host}")
        except Exception:
            pass
        return ProxyChoice(proxy, "the system's proxy settings")

    def _direct_reason(self) -> str:
        if not self.discover:
            why = "no proxy variable, and ECORE_PROXY_PAC=off"
        else:
            why = "no proxy variable, no PAC file in the system settings, none found by WPAD"
        return f"{why}; {self._pac_note}" if self._pac_note else why


def _os_proxies() -> Mapping[str, str]:
    """The OS's fixed proxies (registry, macOS settings) without the environment's."""
    if os.name == "nt":
        return urllib.request.getproxies_registry()  # type: ignore[attr-defined]
    if sys.platform == "darwin":
        return urllib.request.getproxies_macosx_sysconf()  # type: ignore[attr-defined]
    return {}
