"""The mock's Azure AD B2C token endpoint: client-credentials grant, JWT-shaped tokens.

Tokens are ``base64url(header).base64url(payload).base64url(HMAC-SHA256)`` with ``exp`` and a
generation number; :meth:`TokenIssuer.expire_all` bumps the generation, invalidating every token
issued so far. Error bodies follow B2C: ``{"error", "error_description"}`` where the description
ends in ``\\r\\nCorrelation ID: <uuid>\\r\\nTimestamp: <ts>\\r\\n``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

TENANT = "mocktenant.onmicrosoft.com"
POLICY = "B2C_1A_ECORE"


@dataclass(frozen=True)
class TokenReply:
    status: int
    body: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b2c_error(error: str, code: str, message: str) -> dict[str, str]:
    """A B2C error body with correlation id and timestamp."""
    ts = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return {
        "error": error,
        "error_description": (
            f"{code}: {message}\r\nCorrelation ID: {uuid.uuid4()}\r\nTimestamp: {ts}\r\n"
        ),
    }


class TokenIssuer:
    """Issues and validates access tokens for one registered client."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        scope: str,
        signing_key: bytes,
        lifetime: float,
        shape: str,
        clock: Any = time.time,
    ) -> None:
        if shape not in ("b2c", "entra"):
            raise ValueError("token_shape must be 'b2c' or 'entra'")
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.lifetime = lifetime
        self.shape = shape
        self._key = signing_key
        self._clock = clock
        self._generation = 0
        self._lock = threading.Lock()

    def expire_all(self) -> None:
        """Make every token issued so far invalid."""
        with self._lock:
            self._generation += 1

    def request(self, form: dict[str, str], basic: tuple[str, str] | None) -> TokenReply:
        """Answer a token request (``form``: the decoded form fields)."""
        grant = form.get("grant_type", "")
        client_id = form.get("client_id", "")
        secret = form.get("client_secret", "")
        if basic is not None:
            client_id = client_id or basic[0]
            secret = secret or basic[1]
        scope = form.get("scope", "")
        if not grant:
            return self._err(
                400,
                "invalid_request",
                "AADB2C90083",
                "The request is missing required parameter: grant_type.",
            )
        if grant != "client_credentials":
            return self._err(
                400,
                "unsupported_grant_type",
                "AADB2C90086",
                f"The supplied grant_type [{grant}] is not supported.",
            )
        if client_id != self.client_id:
            return self._err(
                400,
                "unauthorized_client",
                "AADB2C90018",
                f"The client id '{client_id}' specified in the request is not registered in "
                f"tenant '{TENANT}'.",
            )
        if not hmac.compare_digest(secret.encode(), self.client_secret.encode()):
            return self._err(
                401,
                "invalid_client",
                "AADB2C90081",
                "The specified client_secret does not match the expected value for this client. "
                "Please correct the client_secret and try again.",
            )
        if not scope or "/" not in scope:
            return self._err(
                400,
                "invalid_request",
                "AADB2C90012",
                f"The scope '{scope}' provided in request must specify a resource, such as "
                "'https://example.com/calendar.read'.",
            )
        if scope.split() != [self.scope]:
            return self._err(
                400,
                "invalid_scope",
                "AADB2C90117",
                f"The scope '{scope}' provided in the request is not supported.",
            )
        return TokenReply(200, self._issue())

    @staticmethod
    def _err(status: int, error: str, code: str, message: str) -> TokenReply:
        return TokenReply(status, b2c_error(error, code, message))

    def _issue(self) -> dict[str, Any]:
        now = self._clock()
        exp = now + self.lifetime
        with self._lock:
            gen = self._generation
        header = {"alg": "HS256", "typ": "JWT", "kid": "mock-key-1"}
        payload = {
            "iss": f"https://mocktenant.b2clogin.com/{TENANT}/v2.0/",
            "aud": self.scope.rsplit("/", 1)[0],
            "sub": self.client_id,
            "azp": self.client_id,
            "scp": self.scope.rsplit("/", 1)[-1],
            "iat": int(now),
            "nbf": int(now),
            "exp": round(exp, 3),
            "gen": gen,
            "jti": str(uuid.uuid4()),
        }
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(payload, separators=(",", ":")).encode())
        )
        sig = hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()
        token = f"{signing_input}.{_b64(sig)}"
        expires_in = max(1, round(self.lifetime))
        if self.shape == "entra":
            return {
                "token_type": "Bearer",
                "expires_in": expires_in,
                "ext_expires_in": expires_in,
                "access_token": token,
            }
        return {
            "access_token": token,
            "token_type": "Bearer",
            "not_before": int(now),
            "expires_in": expires_in,
            "expires_on": int(exp),
            "resource": payload["aud"],
        }

    def valid(self, authorization: str | None) -> bool:
        """Whether an ``Authorization`` header carries a live token of this issuer."""
        if not authorization:
            return False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or token.count(".") != 2:
            return False
        head, body, sig = token.strip().split(".")
        expected = hmac.new(self._key, f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64(sig), expected):
                return False
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error):
            return False
        with self._lock:
            gen = self._generation
        return payload.get("gen") == gen and float(payload.get("exp", 0)) > self._clock()
