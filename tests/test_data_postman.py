"""fetch() with catalogues imported from Postman exports (tests/fixtures/postman), against the mock.

``ecore_v21.json`` describes the API as the mock serves it: through an override file (the path
``ecore-xl catalogue import`` takes) it must give the same frames as the built-in catalogue.
``renamed_v20.json`` describes an API whose paths, parameters and one field are spelled
differently; a session injected into the client translates that dialect for the mock, so the
test shows that the catalogue alone steers paths, parameter names and columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd
import requests
from click.testing import CliRunner

from ecore_xl.api import EcoreClient
from ecore_xl.catalogue import write_catalogue_file
from ecore_xl.catalogue.postman import import_collection, read_collection, to_overrides
from ecore_xl.cli import cli
from ecore_xl.data import DataService, reset_service
from ecore_xl.mock import MockServer
from tests.conftest import service_for, settings_for
from tests.data_fixtures import meter_ids, month

FIXTURES = Path(__file__).parent / "fixtures" / "postman"
V21 = FIXTURES / "ecore_v21.json"
V20 = FIXTURES / "renamed_v20.json"


def imported_file(collection: Path, tmp_path: Path) -> Path:
    result = to_overrides(read_collection(collection), source=str(collection))
    return write_catalogue_file(result.overrides, tmp_path / "catalogue.json")


def test_v21_override_file_gives_the_builtin_frames(srv: MockServer, tmp_path: Path) -> None:
    file = imported_file(V21, tmp_path)
    meter = meter_ids(srv)[0]
    pid = srv.portfolio.portfolios[0]["id"]
    with service_for(srv) as builtin, service_for(srv, catalogue=str(file)) as imported:
        for dataset, filters in (
            ("volumes", {"meterId": meter, "granularity": "quarterhour", **month(2026, 3)}),
            ("positions", {"portfolioId": pid}),
            ("contracts", {"status": "active"}),
            ("invoice-lines", {"meterId": meter}),
        ):
            pd.testing.assert_frame_equal(
                imported.fetch(dataset, **filters), builtin.fetch(dataset, **filters)
            )


def test_v21_catalogue_through_the_cli(srv: MockServer, tmp_path: Path) -> None:
    file = imported_file(V21, tmp_path)
    out = tmp_path / "clicks.csv"
    reset_service()
    try:
        result = CliRunner().invoke(
            cli,
            ["fetch", "clicks", "--from", "2026-01-01", "--to", "2026-07-01", "--out", str(out)],
            env={**srv.env(), "ECORE_CATALOGUE": str(file)},
        )
    finally:
        reset_service()
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert len(df) > 0
    assert df["executedAtLocal"].between("2026-01-01", "2026-07-01").all()


class RenamedDialect(requests.Session):
    """Speaks the renamed v2 API to the client and the contract's v1 to the mock."""

    PATHS = (
        ("/v1/risk/timeseries/volumes", "/v1/volumes"),
        ("/v1/risk/portfolios/", "/v1/portfolios/"),
    )
    PARAMS: ClassVar[dict[str, str]] = {"meter_id": "meterId", "contract_id": "contractId"}

    def __init__(self) -> None:
        super().__init__()
        self.dialect_paths: list[str] = []
        self.dialect_params: set[str] = set()

    def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        path = parts.path
        for theirs, mock in self.PATHS:
            if path.startswith(theirs):
                self.dialect_paths.append(path)
                path = mock + path[len(theirs) :]
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if path != parts.path:
            self.dialect_params.update(k for k, _ in pairs)
        query = urlencode([(self.PARAMS.get(k, k), v) for k, v in pairs])
        request.url = urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))
        response = super().send(request, **kw)
        if path == "/v1/volumes" and response.status_code == 200:
            body = response.json()
            assert "nextLink" not in body  # keep the test's ranges within one page
            for record in body["value"]:
                record["meter_id"] = record.pop("meterId")
                record["revision"] = 1
            response._content = json.dumps(body).encode()
        return response


def test_renamed_v20_catalogue_steers_paths_params_and_fields(srv: MockServer) -> None:
    catalogue = import_collection(V20)
    settings = settings_for(srv)
    session = RenamedDialect()
    meters = meter_ids(srv)[:2]
    pid = srv.portfolio.portfolios[0]["id"]
    filters = {"meterId": meters, **month(2026, 2)} | {"to": "2026-04-01"}
    with (
        EcoreClient(settings, session=session) as client,
        DataService(settings, client=client, catalogue=catalogue) as renamed,
        service_for(srv) as builtin,
    ):
        srv.reset_stats()
        got = renamed.fetch("volumes", **filters)
        assert sorted(set(session.dialect_paths)) == ["/v1/risk/timeseries/volumes"]
        assert session.dialect_params == {"meter_id", "from", "to", "granularity", "type"}
        assert srv.stats.requests_by_path["/volumes"] == 4  # 2 meters x 2 months
        expected = builtin.fetch("volumes", **filters)
        assert list(got.columns) == [*expected.columns, "revision"]
        pd.testing.assert_frame_equal(got.drop(columns="revision"), expected)
        assert (got["revision"] == 1).all()

        wide = renamed.fetch("volumes", layout="wide", **filters)
        assert list(wide.columns[-2:]) == meters

        positions = renamed.fetch("positions", portfolioId=pid)
        assert f"/v1/risk/portfolios/{pid}/positions" in session.dialect_paths
        pd.testing.assert_frame_equal(positions, builtin.fetch("positions", portfolioId=pid))
