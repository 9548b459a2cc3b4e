"""No secret (client secret, either key, the token) in logs, reprs, statuses or error messages."""

from __future__ import annotations

import logging

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.api._log import SecretFilter, register_secret
from ecore_xl.errors import AuthenticationError, SubscriptionKeyError
from ecore_xl.mock import MockServer
from tests.api_fixtures import Sleeps
from tests.conftest import settings_for


def test_no_secret_anywhere_through_a_busy_run(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # root, urllib3 and ecore_xl.api at DEBUG
    texts: list[str] = []
    with MockServer(seed=42, meters=2, page_size=2) as srv:
        settings = settings_for(srv)
        with EcoreClient(settings, sleep=Sleeps()) as client:
            client.get_all("/meters")
            token = client.tokens.token()
            srv.expire_tokens()
            srv.faults.rate_limit_every = 2
            client.get_all("/legal-entities")
            srv.faults.rate_limit_every = None
            srv.revoke_primary()
            client.get_all("/contracts")
            assert client.stats.key_switches == 1
            texts += [repr(client), repr(client.tokens), repr(client.stats), str(client.status())]
            texts += [repr(settings), str(settings)]
        bad = EcoreClient(settings_for(srv, client_secret="wrong-secret-abcdef"), sleep=Sleeps())
        with pytest.raises(AuthenticationError) as auth_err:
            bad.get_json("/meters")
        no_secondary = EcoreClient(
            settings.replace(subscription_key_secondary=None), sleep=Sleeps()
        )
        with pytest.raises(SubscriptionKeyError) as key_err:
            no_secondary.get_json("/meters")
        for err in (auth_err.value, key_err.value):
            texts += [str(err), repr(err), str(err.detail)]
        secrets = {
            "client secret": srv.client_secret,
            "wrong secret": "wrong-secret-abcdef",
            "primary key": srv.primary_key,
            "secondary key": srv.secondary_key,
            "token": token,
        }
    assert "secondary key" in caplog.text  # the run did log the interesting events
    everything = caplog.text + "\n".join(texts)
    for name, value in secrets.items():
        assert value not in everything, f"{name} leaked"


def test_filter_blanks_a_registered_secret_in_any_record() -> None:
    register_secret("super-secret-value-42")
    record = logging.LogRecord(
        "ecore_xl.api", logging.INFO, __file__, 1, "echo %s", ("x super-secret-value-42 y",), None
    )
    assert SecretFilter().filter(record)
    assert record.getMessage() == "echo x supe… y"
