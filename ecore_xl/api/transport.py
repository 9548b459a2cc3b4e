"""The API's GETs on a short path: straight to the session's adapter, past ``Session.request``.

``requests.Session.request`` spends ~0.3-0.5 ms of CPU on every request before and after the
bytes move — merging settings, hooks, the cookie jar on the way out and back, redirect
bookkeeping — which is a third of the client's cost for a 120 kB page from a fast server. Here a
GET is prepared once (:class:`requests.PreparedRequest`: the same URL and query encoding as
``session.get``) and handed to the session's own adapter, so what the session was set up for
still holds: the proxy of each host (``merge_environment_settings``: the PAC file, the
environment, the OS), TLS against the OS store or ``ECORE_CA_BUNDLE``, the connections a
request's deadline watches, and requests' mapping of urllib3's failures to its exceptions.

Left out on purpose: cookies (the API is stateless: the token and the subscription key travel
in headers on every request), redirects (never followed anyway) and session hooks (none). A
session of another kind (a test's, a caller's) is used as it is, through ``session.get``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity

from ecore_xl.errors import mask_secret

__all__ = ["AdapterGet", "SessionGet", "get_for"]


class _HeaderAuth(AuthBase):
    """The request's own headers (bearer token, subscription key) set as its auth: requests
    then reads no ``.netrc``, which would replace them."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.update(self._headers)
        return r

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={mask_secret(v)}" for k, v in self._headers.items())
        return f"_HeaderAuth({shown})"


def _check(headers: Mapping[str, str]) -> None:
    """requests' own check of header names and values (InvalidHeader: no CR or LF)."""
    for header in headers.items():
        check_header_validity(header)


class SessionGet:
    """GETs through ``session.get``: any session, as it is."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
    ) -> requests.Response:
        """The response, its body not read yet (``stream``), never a redirect followed."""
        _check(headers)
        return self.session.get(
            url, params=params, auth=_HeaderAuth(headers), timeout=timeout,
            allow_redirects=False, stream=True,
        )  # fmt: skip


class AdapterGet(SessionGet):
    """GETs prepared here and sent by the session's adapter (see the module's docstring)."""

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout: tuple[float, float],
    ) -> requests.Response:
        session = self.session
        request = requests.PreparedRequest()
        request.method = "GET"
        request.prepare_url(url, params)
        merged = CaseInsensitiveDict(session.headers)
        _check(headers)
        merged.update(headers)
        request.headers = merged
        request.body = None
        request.hooks = {"response": []}
        where = session.merge_environment_settings(
            request.url, {}, True, session.verify, session.cert
        )
        adapter = session.get_adapter(request.url or url)
        return adapter.send(
            request,
            stream=True,
            timeout=timeout,
            verify=where["verify"],
            cert=where["cert"],
            proxies=where["proxies"],
        )


def get_for(session: requests.Session) -> SessionGet:
    """The short path for a session made by :func:`~ecore_xl.api.session.make_session`,
    ``session.get`` for any other (one whose ``send`` or ``request`` does more)."""
    from ecore_xl.api.session import EnvironmentOnceSession

    kind: Any = type(session)
    plain = kind.send is requests.Session.send and kind.request is requests.Session.request
    if isinstance(session, EnvironmentOnceSession) and plain and not session.hooks["response"]:
        return AdapterGet(session)
    return SessionGet(session)
