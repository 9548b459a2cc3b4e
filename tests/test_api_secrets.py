"""No secret (client secret, either key, the token) in logs, reprs, statuses or error messages."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote, quote_plus

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.api._log import SecretFilter, register_secret
from ecore_xl.errors import AuthenticationError, SubscriptionKeyError
from ecore_xl.mock import MockServer
from tests.api_fixtures import Sleeps
from tests.conftest import settings_for
from tests.listener_fixtures import Listener, TinyHTTP, echo_secrets, redirect_to


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


# ---- secrets only over HTTPS; plain HTTP only to loopback (issue 12) ------------------------

#: names that the resolver maps to 127.0.0.1 but that are not loopback by rule
NOT_LOOPBACK_BY_RULE = ("2130706433", "127.1", "0x7f.0.0.1")


def _plain_http_env(port: int, host: str) -> dict[str, str]:
    return {
        "ECORE_BASE_URL": f"http://{host}:{port}/v1",
        "ECORE_TOKEN_URL": f"http://{host}:{port}/tenant/oauth2/v2.0/token",
        "ECORE_CLIENT_ID": "client",
        "ECORE_CLIENT_SECRET": "client-secret-do-not-send",
        "ECORE_SCOPE": "https://tenant/api/.default",
        "ECORE_SUBSCRIPTION_KEY": "subscription-key-do-not-send",
    }


@pytest.mark.parametrize("host", NOT_LOOPBACK_BY_RULE)
def test_plain_http_to_a_name_that_is_not_loopback_sends_nothing(host: str) -> None:
    """The listener runs on 127.0.0.1, and ``host`` does resolve there: still refused, because
    loopback is decided by rule, not by DNS. Every command refuses in one line, exit 2."""
    from click.testing import CliRunner

    from ecore_xl.cli import cli

    runner = CliRunner()
    with Listener() as listener:
        env = _plain_http_env(listener.port, host)
        fetch = runner.invoke(cli, ["fetch", "contracts"], env=env)
        doctor = runner.invoke(cli, ["doctor"], env=env)
        configure = runner.invoke(
            cli,
            ["configure", "--token-url", env["ECORE_TOKEN_URL"], "--from-env"],
            env={**env, "ECORE_TOKEN_URL": None, "ECORE_BASE_URL": None},
        )
        time.sleep(0.3)  # a connection, had one been made, is accepted by now
        assert listener.connections == 0 and listener.received == b""
    assert fetch.exit_code == 2, fetch.output
    assert fetch.output.count("\n") == 1 and "plain http://" in fetch.output
    assert "Traceback" not in fetch.output + doctor.output + configure.output
    assert doctor.exit_code == 2 and "settings           FAIL" in doctor.output
    assert configure.exit_code == 2 and "ECORE_TOKEN_URL is plain http://" in configure.output
    from ecore_xl.config import config_file_path

    assert not config_file_path().exists()  # configure saved nothing


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.5.6.7/v1", True),
        ("http://[::1]:8080/v1", True),
        ("http://localhost/v1", True),
        ("https://api.example/v1", True),
        ("http://api.example/v1", False),
        ("http://2130706433/v1", False),
        ("http://[::ffff:127.0.0.1]/v1", False),
        ("http://vm/v1", False),  # in this machine's /etc/hosts as 127.0.0.1: a name, not a rule
        ("ftp://api.example/v1", False),
        ("https:///v1", False),
    ],
)
def test_only_loopback_may_be_plain_http(url: str, ok: bool) -> None:
    from ecore_xl.config import Settings
    from ecore_xl.errors import ConfigError

    for field in ("base_url", "token_url"):
        if ok:
            assert getattr(Settings(**{field: url}), field) == url
            continue
        with pytest.raises(ConfigError) as info:
            Settings(**{field: url})
        assert info.value.variable == f"ECORE_{field.upper()}"


def test_settings_built_any_way_are_checked() -> None:
    from ecore_xl.config import Settings
    from ecore_xl.errors import ConfigError

    safe = Settings(base_url="https://api.example/v1")
    with pytest.raises(ConfigError, match="ECORE_BASE_URL is plain http://"):
        safe.replace(base_url="http://api.example/v1")


# ---- redirects never carry credentials -----------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_with_credentials(status: int) -> None:
    """The token POST and a data GET each meet a redirect to another (local) server: it gets
    nothing — no secret, no token, no key — and the error is one line."""
    from ecore_xl.api import EcoreClient
    from ecore_xl.config import Settings
    from ecore_xl.errors import ApiError

    with Listener() as elsewhere:
        target = f"http://127.0.0.1:{elsewhere.port}/steal"
        with TinyHTTP(redirect_to(target, status)) as api, MockServer(seed=1, meters=1) as srv:
            token_redirect = Settings.load(
                use_file=False,
                use_keyring=False,
                environ={**srv.env(), "ECORE_TOKEN_URL": api.url + "/token"},
            )
            with pytest.raises(ApiError) as token_err:
                EcoreClient(token_redirect, sleep=Sleeps()).get_json("/meters")
            data_redirect = Settings.load(
                use_file=False,
                use_keyring=False,
                environ={**srv.env(), "ECORE_BASE_URL": api.url + "/v1"},
            )
            with pytest.raises(ApiError) as data_err:
                EcoreClient(data_redirect, sleep=Sleeps()).get_json("/meters")
            secrets = (srv.client_secret, srv.primary_key)
        time.sleep(0.3)
        assert elsewhere.connections == 0 and elsewhere.received == b""
    assert [m for m, _, _ in api.requests] == ["POST", "GET"]  # one each: nothing repeated
    for err in (token_err.value, data_err.value):
        assert "\n" not in str(err)
        assert not any(s in str(err) for s in secrets)
    assert "redirect" in str(data_err.value).lower()


# ---- a server that echoes secrets in its error messages -------------------------------------


def test_secrets_echoed_by_the_server_are_never_shown() -> None:
    """The API answers every GET with an error that repeats the bearer token, the subscription
    key and the query (holding the client secret, URL-encoded): the CLI's Error line, a cell's
    #ECORE! text and ECORE_STATUS show none of them."""
    from click.testing import CliRunner

    from ecore_xl.cli import cli
    from ecore_xl.config import Settings
    from ecore_xl.data import DataService, reset_service, set_service
    from ecore_xl.excel import udfs

    token = "eyJhbGciOi.echoed-bearer-token-0123456789"
    secret = "client secret/with+odd&chars=42"
    key = "subscription-key-0123456789abcdef"
    with TinyHTTP(echo_secrets(token)) as api:
        env = {
            "ECORE_BASE_URL": api.url + "/v1",
            "ECORE_TOKEN_URL": api.url + "/token",
            "ECORE_CLIENT_ID": "client",
            "ECORE_CLIENT_SECRET": secret,
            "ECORE_SCOPE": "https://tenant/api/.default",
            "ECORE_SUBSCRIPTION_KEY": key,
        }
        args = ["fetch", "contracts", "--filter", f"legalEntityId={secret}"]
        cli_run = CliRunner().invoke(cli, args, env=env)
        set_service(DataService(Settings.load(use_file=False, use_keyring=False, environ=env)))
        try:
            cell = udfs.ECORE_GET("/echo", f"q={secret}")
            status = udfs.ECORE_STATUS()
        finally:
            reset_service()
    shown = [cli_run.output, str(cell), repr(status)]
    assert api.requests, "the server was asked"
    assert any(key in str(h) for _, _, h in api.requests)  # it did get the key it echoes
    assert "Error:" in cli_run.output and cli_run.exit_code in (1, 2)
    assert str(cell).startswith("#ECORE! ")
    for text in shown:
        for value in (token, key, secret, quote(secret, safe=""), quote_plus(secret)):
            assert value[: len(value) // 2] not in text  # not even cut short
    assert "subs…" in str(cell)  # masked, not dropped
