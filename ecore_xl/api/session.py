"""The pooled ``requests.Session`` every API call goes through.

TLS trusts the OS certificate store (``truststore``), where corporate TLS-inspecting proxies
install their root, unless ``ECORE_CA_BUNDLE`` names a PEM file. The proxy of each host is
chosen by :class:`~ecore_xl.api.proxy.ProxyFinder` (environment, PAC file from ``ECORE_PROXY_PAC``
or the OS, the OS's fixed proxies, WPAD), once per host for the session's life
(:class:`EnvironmentOnceSession`), as settings are read once; ``session.proxy_finder`` says why.
Retries are not done here: the client owns them (see ``client.py``). Every adapter's
connections can be watched by a request's total deadline (:mod:`ecore_xl.api.deadline`).
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ecore_xl.api.deadline import watch_connections
from ecore_xl.api.proxy import ProxyFinder
from ecore_xl.config import Settings

__all__ = [
    "CABundleAdapter",
    "EnvironmentOnceSession",
    "TruststoreAdapter",
    "WatchedAdapter",
    "make_session",
    "os_ssl_context",
]

_USER_AGENT = "ecore-xl/{version} (+python-requests)"


def os_ssl_context() -> ssl.SSLContext:
    """An SSLContext that verifies against the operating system's certificate store."""
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class WatchedAdapter(HTTPAdapter):
    """HTTPAdapter whose connections (direct and through proxies) a deadline can watch."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        watch_connections(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return watch_connections(super().proxy_manager_for(proxy, **proxy_kwargs))


class TruststoreAdapter(WatchedAdapter):
    """HTTPAdapter whose pools (direct and through proxies) verify with one OS-store context."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, **kwargs: Any) -> None:
        self._ssl_context = ssl_context or os_ssl_context()
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # requests would load certifi's bundle into the context for verify=True; the OS store
        # is the whole truth here (a custom bundle goes through a plain HTTPAdapter instead).
        super().cert_verify(conn, url, verify, cert)
        if verify is True and url.lower().startswith("https"):
            conn.ca_certs = None
            conn.ca_cert_dir = None


class CABundleAdapter(WatchedAdapter):
    """HTTPAdapter that verifies with one PEM bundle (``ECORE_CA_BUNDLE``) whatever else says.

    ``session.verify`` alone is not enough: requests lets ``REQUESTS_CA_BUNDLE`` /
    ``CURL_CA_BUNDLE`` from the environment override it.
    """

    def __init__(self, ca_bundle: str, **kwargs: Any) -> None:
        self._ca_bundle = ca_bundle
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("verify", True) is not False:
            kwargs["verify"] = self._ca_bundle
        return super().send(request, *args, **kwargs)


class EnvironmentOnceSession(requests.Session):
    """A Session that reads proxies and CA bundle variables from the environment once per host.

    requests looks them up on every request (``merge_environment_settings``: all of
    ``os.environ`` scanned twice, and the registry on Windows) — ~80 µs a request here, for an
    answer that does not change while the client lives: a year of quarter-hours is 720 pages.
    The answer is kept per scheme, host and arguments; a new client reads the environment again.
    """

    _MAX_KEPT = 64

    def __init__(self, proxy_finder: ProxyFinder | None = None) -> None:
        super().__init__()
        self._env_lock = threading.Lock()
        self._env_kept: dict[tuple[Any, ...], dict[str, Any]] = {}
        #: chooses each host's proxy (None: requests' own reading of the environment)
        self.proxy_finder = proxy_finder

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if not self.trust_env or not isinstance(proxies, Mapping | None):
            return dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
        parts = urlsplit(str(url))
        given = tuple(sorted((proxies or {}).items()))
        key = (parts.scheme.lower(), parts.netloc.lower(), given, stream, verify, str(cert))
        with self._env_lock:
            kept = self._env_kept.get(key)
        if kept is None:
            chosen_here = self.proxy_finder is not None and not proxies  # (super() fills it)
            kept = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            if chosen_here:
                assert self.proxy_finder is not None
                choice = self.proxy_finder.choose(str(url))
                kept["proxies"] = {parts.scheme.lower(): choice.proxy} if choice.proxy else {}
            with self._env_lock:
                if len(self._env_kept) >= self._MAX_KEPT:
                    self._env_kept.clear()
                self._env_kept[key] = kept
        return {**kept, "proxies": dict(kept["proxies"])}


def make_session(settings: Settings) -> requests.Session:
    """A session with connection pools sized for concurrent fetches and TLS set up."""
    from ecore_xl import __version__

    # Like HTTPS_PROXY (which requests reads from the process), ECORE_PROXY_PAC of the process
    # applies when the settings were resolved from another environment mapping.
    pac = settings.proxy_pac or os.environ.get("ECORE_PROXY_PAC")
    session = EnvironmentOnceSession(ProxyFinder(pac))
    session.trust_env = True  # proxies and CA variables from the environment
    pool = max(10, settings.max_workers * 4)
    adapter: HTTPAdapter
    if settings.ca_bundle:
        session.verify = settings.ca_bundle
        adapter = CABundleAdapter(
            settings.ca_bundle, pool_connections=4, pool_maxsize=pool, max_retries=0
        )
    else:
        adapter = TruststoreAdapter(pool_connections=4, pool_maxsize=pool, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", WatchedAdapter(pool_connections=4, pool_maxsize=pool, max_retries=0))
    session.headers["User-Agent"] = _USER_AGENT.format(version=__version__)
    session.headers["Accept"] = "application/json"
    return session
