"""``ecore-xl catalogue list / show / import`` through click's CliRunner."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from ecore_xl.catalogue import builtin_catalogue, load_catalogue
from ecore_xl.cli import cli

POSTMAN = Path(__file__).parent / "fixtures" / "postman"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_every_dataset() -> None:
    code, out, _ = run("catalogue", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "PATH", "FUNCTION", "DESCRIPTION"]
    for ds in builtin_catalogue():
        row = next(line for line in lines if line.startswith(ds.name + " "))
        assert ds.path in row and ds.function in row
    assert "Catalogue: built-in" in out


def test_list_json_is_the_catalogue() -> None:
    code, out, _ = run("catalogue", "list", "--json")
    assert code == 0
    assert json.loads(out) == builtin_catalogue().to_dict()


def test_show_filters_and_fields() -> None:
    code, out, _ = run("catalogue", "show", "ECORE_VOLUMES")
    assert code == 0
    assert "GET /volumes" in out and "=ECORE_VOLUMES(...)" in out
    assert "exactly one of meterId, contractId" in out
    granularity = next(line for line in out.splitlines() if line.strip().startswith("granularity"))
    assert granularity.split()[:4] == ["granularity", "enum", "optional", "hour"]
    assert "quarterhour, hour, day, month" in granularity
    from_line = next(line for line in out.splitlines() if line.strip().startswith("from "))
    assert from_line.split()[:3] == ["from", "date", "required"]
    start = next(line for line in out.splitlines() if line.strip().startswith("start "))
    assert "timestamp" in start and "startLocal" in start


def test_show_path_parameter_and_children() -> None:
    _, out, _ = run("catalogue", "show", "positions")
    assert next(x for x in out.splitlines() if "portfolioId" in x and "path" in x.split())
    _, out, _ = run("catalogue", "show", "invoice-lines")
    assert "one per element of invoices.lines (with invoiceId)" in out


def test_show_prints_every_declaration_api_wide_and_the_datasets_own() -> None:
    paged = Path(__file__).resolve().parent.parent / "ecore_xl/mock/catalogues/paged.json"
    code, out, _ = run("catalogue", "show", "volumes", "--catalogue", str(paged))
    assert code == 0
    rows = {
        line.split()[0]: [part.strip() for part in line.strip().split("  ") if part][1:]
        for line in out.split("Dialect (how the API speaks):")[1].split("\n\n")[0].splitlines()[2:]
    }
    assert rows["envelope"] == ["API-wide", "records at 'data.items'; one record at 'data'"]
    assert rows["paging"][1].startswith("page numbers: page from 1, pageSize up to 500")
    assert rows["params"][1] == "names as_is; dates date; end bound inclusive"
    assert "period ends inclusive" in rows["fields"][1]
    assert rows["series"][0] == rows["granularities"][0] == "this dataset"
    assert rows["granularities"][1] == "gas: day, month"
    assert "granularity (sent as resolution)" in out and "hour (PT1H)" in out
    value = next(line for line in out.splitlines() if line.strip().startswith("value "))
    assert "MWh (API: its unit)" in value
    _, builtin, _ = run("catalogue", "show", "invoices")
    period_end = next(ln for ln in builtin.splitlines() if ln.strip().startswith("periodEnd "))
    assert "ends a period" in period_end
    assert "next link at nextLink or @odata.nextLink or header:Link" in builtin


def test_show_unknown_dataset_is_a_usage_error() -> None:
    code, _, err = run("catalogue", "show", "contract")
    assert code == 2
    assert "Unknown dataset 'contract'" in err and "contracts" in err


def test_import_writes_override_file_that_loads(tmp_path: Path) -> None:
    out_file = tmp_path / "cat.json"
    code, out, _ = run(
        "catalogue", "import", str(POSTMAN / "renamed_v20.json"), "--out", str(out_file)
    )
    assert code == 0, out
    lines = out.splitlines()
    volumes = lines[lines.index("volumes") + 1 :]
    path = next(line for line in volumes if line.split()[0] == "path")
    assert "/volumes -> /risk/timeseries/volumes" in path and path.endswith("declared")
    assert "new: GET /markets/{market}/spot-prices" in out
    assert "skipped Token: POST" in out
    assert f"ECORE_CATALOGUE={out_file}" in out
    cat = load_catalogue(out_file)
    assert cat.get("volumes").filter("meterId").param == "meter_id"
    assert "spot-prices" in cat
    code, out, _ = run("catalogue", "show", "spot-prices", "--catalogue", str(out_file))
    assert code == 0 and "GET /markets/{market}/spot-prices" in out


def test_import_default_target_backs_up_previous(ecore_home: Path) -> None:
    target = ecore_home / "catalogue.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text('{"datasets": {"meters": {"path": "/mine"}}}', encoding="utf-8")
    code, out, _ = run("catalogue", "import", str(POSTMAN / "renamed_v20.json"))
    assert code == 0, out
    backup = target.with_name("catalogue.json.bak")
    assert json.loads(backup.read_text(encoding="utf-8"))["datasets"]["meters"]["path"] == "/mine"
    assert "spot-prices" in json.loads(target.read_text(encoding="utf-8"))["datasets"]
    code, out, _ = run("catalogue", "list")  # picked up from the config dir
    assert "spot-prices" in out and f"built-in + {target}" in out


def test_import_dry_run_writes_nothing(ecore_home: Path) -> None:
    code, out, _ = run("catalogue", "import", str(POSTMAN / "ecore_v21.json"), "--dry-run")
    assert code == 0
    assert "10 datasets matched, 0 new" in out and "Dry run" in out
    assert '"datasets": {}' in out  # the file it would write changes nothing
    assert not (ecore_home / "catalogue.json").exists()


def test_import_docs_wrapper_explains_and_writes_nothing(tmp_path: Path) -> None:
    out_file = tmp_path / "cat.json"
    code, _, err = run(
        "catalogue", "import", str(POSTMAN / "docs_wrapper.json"), "--out", str(out_file)
    )
    assert code == 2
    assert "has no requests" in err and "Export" in err
    assert not out_file.exists()


def test_list_with_broken_env_catalogue(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"datasets": {"volumes": {"path": 1}}}', encoding="utf-8")
    os.environ["ECORE_CATALOGUE"] = str(broken)
    code, _, err = run("catalogue", "list")
    assert code == 2
    assert str(broken) in err and "datasets.volumes.path" in err
