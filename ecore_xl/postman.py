"""Import a Postman collection export (v2.0 / v2.1) as catalogue overrides.

E&C publish their API as a Postman collection. When the real paths, parameters or fields differ
from the built-in catalogue (a reconstruction), exporting the collection from Postman and running
``ecore-xl catalogue import FILE`` fixes the catalogue without code.

What is read: every GET request in the (nested) item tree; its URL, as a string or as an object
(``host``/``path``/``query``/``variable``), with ``{{baseUrl}}``-style variables (the collection's
``variable`` list and, in the documentation wrapper, its environments); path variables ``:id`` or
``{{id}}`` become ``{id}``; query parameters with their descriptions (disabled ones are optional;
a description saying "required" makes one required); example responses (``response[].body``)
give the fields and their types. Other methods (the token POST) are skipped, and so are
one-record endpoints (``/contracts/{id}``).

How it merges: an endpoint is matched to a built-in dataset by its path (placeholders compared by
position), else by name (the path's last literal segment, ``/risk/contracts`` -> ``contracts``).
A matched dataset gets only the differences: a new path, ``api_name`` renames for parameters that
differ only in spelling (``meter_id`` for ``meterId``), new filters and fields appended, fields
renamed the same way when an example response spells them differently. Built-in filters and
fields the export does not mention are kept. Unmatched endpoints become new datasets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecore_xl.catalogue import Catalogue, Dataset, builtin_catalogue, infer_field_type
from ecore_xl.errors import CatalogueError

__all__ = ["ImportResult", "import_collection", "read_collection", "to_overrides"]

_VAR = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_PATH_VAR = re.compile(r"^:([A-Za-z_][A-Za-z0-9_\-]*)$")
_VERSION = re.compile(r"^v\d+(\.\d+)?$", re.IGNORECASE)
_DATE_VALUE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_REQUIRED = re.compile(r"\b(?<!not )required\b|\bmandatory\b", re.IGNORECASE)
_ONE_OF = re.compile(
    r"\bone of\s*:?\s*([A-Za-z0-9_\-]+(?:\s*(?:,|/|\||\bor\b)\s*[A-Za-z0-9_\-]+)+)", re.IGNORECASE
)
_DEFAULT = re.compile(r"\bdefault(?:s to|:| is)?\s*[`'\"]?([A-Za-z0-9_\-]+)", re.IGNORECASE)
_ID_NAME = re.compile(r"[a-z0-9](?:Id|_id)$")  # meterId, meter_id (not a bare "id")
_AUTH_PARAMS = {"subscription-key", "subscription_key", "ocp-apim-subscription-key", "code"}
_HOW_TO_EXPORT = (
    "In Postman, open (or fork) the eCore API collection, choose '...' > Export > "
    "Collection v2.1, save the file and run 'ecore-xl catalogue import FILE' on it."
)
_SAMPLE_RECORDS = 200


@dataclass
class _Param:
    name: str
    example: str = ""
    doc: str = ""
    required: bool = False
    in_path: bool = False


@dataclass
class _Endpoint:
    """One GET path of the collection (requests sharing a path are merged)."""

    path: str  # with {placeholders}
    title: str
    description: str = ""
    params: dict[str, _Param] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)  # name -> field type
    requests: int = 0


@dataclass
class ImportResult:
    """What an import found and the override-file content it produces."""

    source: str
    overrides: dict[str, Any]
    matched: dict[str, str] = field(default_factory=dict)  # dataset -> what changed
    new: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def datasets(self) -> list[str]:
        return [*self.matched, *self.new]


# ---- public API ------------------------------------------------------------------------------


def read_collection(path: str | Path) -> dict[str, Any]:
    """The collection object of an export file (the documentation wrapper is unwrapped)."""
    file = Path(path)
    try:
        data = json.loads(file.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise CatalogueError(f"Postman file {file} cannot be read: {exc.strerror}.") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(f"Postman file {file} is not JSON: {exc}. {_HOW_TO_EXPORT}") from None
    return _unwrap(data, str(file))


def to_overrides(
    collection: Mapping[str, Any], *, base: Catalogue | None = None, source: str = "collection"
) -> ImportResult:
    """The overrides (override-file dict) a collection implies, relative to ``base``."""
    base = base if base is not None else builtin_catalogue()
    collection = _unwrap(collection, source)
    variables = _variables(collection)
    endpoints: dict[str, _Endpoint] = {}
    skipped: list[str] = []
    requests = 0
    for trail, item in _walk(collection.get("item") or []):
        requests += 1
        label = " / ".join(trail)
        request = item.get("request")
        method = "GET" if isinstance(request, str) else str(request.get("method") or "GET")
        if method.upper() != "GET":
            skipped.append(f"{label}: {method.upper()} request (only GET is data)")
            continue
        try:
            ep = _endpoint(item, variables, label)
        except CatalogueError as exc:
            skipped.append(f"{label}: {exc}")
            continue
        if ep.path.rstrip("/").endswith("}"):
            skipped.append(f"{label}: {ep.path} returns one record (the list endpoint covers it)")
            continue
        key = _shape(ep.path)
        if key in endpoints:
            _merge_endpoints(endpoints[key], ep)
        else:
            endpoints[key] = ep
    if requests == 0:
        raise CatalogueError(
            f"Postman export {source} has no requests (it is the published documentation page "
            f"of the collection, not a collection export). {_HOW_TO_EXPORT}"
        )
    if not endpoints:
        raise CatalogueError(
            f"Postman export {source} has no GET requests to import ({len(skipped)} skipped). "
            + _HOW_TO_EXPORT
        )
    result = ImportResult(source=source, overrides={}, skipped=skipped)
    datasets: dict[str, Any] = {}
    taken: set[str] = set()
    for ep in endpoints.values():
        ds = _match(ep, base, taken)
        if ds is not None:
            taken.add(ds.name)
            patch, changes = _patch_for(ds, ep)
            result.matched[ds.name] = changes or "no change"
            if patch:
                datasets[ds.name] = patch
        else:
            name = _unique_name(_name_from_path(ep.path), base, datasets)
            datasets[name] = _new_dataset(ep)
            result.new.append(name)
    title = str((collection.get("info") or {}).get("name") or "").strip()
    result.overrides = {
        "source": f"Postman collection {title!r} ({source})" if title else f"Postman ({source})",
        "datasets": datasets,
    }
    base.overlay(result.overrides, source=f"import of {source}")  # must load cleanly
    return result


def import_collection(path: str | Path, *, base: Catalogue | None = None) -> Catalogue:
    """``base`` (default: the built-in catalogue) with a Postman export's endpoints merged in."""
    base = base if base is not None else builtin_catalogue()
    result = to_overrides(read_collection(path), base=base, source=str(path))
    return base.overlay(result.overrides, source=str(path))


# ---- reading the collection ------------------------------------------------------------------


def _unwrap(data: Any, source: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{source} is not a Postman collection (no 'info' and 'item').")
    inner = data.get("collection")
    if isinstance(inner, Mapping) and "info" in inner:
        merged = dict(inner)
        envs = data.get("environments")
        if isinstance(envs, list):  # the published-docs wrapper carries the environment
            merged["_environment_values"] = [
                v for env in envs if isinstance(env, Mapping) for v in env.get("values") or []
            ]
        if "_environment_values" in data:
            merged["_environment_values"] = data["_environment_values"]
        return merged
    if "info" not in data and "item" not in data:
        raise CatalogueError(
            f"{source} is not a Postman collection (no 'info' and 'item'). {_HOW_TO_EXPORT}"
        )
    return dict(data)


def _variables(collection: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for source in (collection.get("_environment_values"), collection.get("variable")):
        for var in source or []:
            if not isinstance(var, Mapping) or var.get("disabled") or var.get("enabled") is False:
                continue
            key = var.get("key") or var.get("id")
            if key and isinstance(var.get("value"), str | int | float):
                out[str(key)] = str(var["value"])
    return out


def _walk(
    items: Sequence[Any], trail: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    for item in items:
        if not isinstance(item, Mapping):
            continue
        here = (*trail, str(item.get("name") or "?"))
        if isinstance(item.get("item"), list):
            yield from _walk(item["item"], here)
        elif "request" in item and isinstance(item["request"], Mapping | str):
            yield here, item


def _text(value: Any) -> str:
    """A v2.1 description may be ``{"content": ..., "type": ...}``."""
    if isinstance(value, Mapping):
        value = value.get("content")
    return str(value or "").strip()


def _endpoint(item: Mapping[str, Any], variables: Mapping[str, str], label: str) -> _Endpoint:
    request = item["request"]
    url = request if isinstance(request, str) else request.get("url")
    segments, query, path_vars = _url_parts(url, variables)
    params: dict[str, _Param] = {}
    path_parts = []
    for seg in segments:
        seg = _PATH_VAR.sub(r"{\1}", seg)
        seg = _VAR.sub(lambda m: "{" + m.group(1).strip() + "}", seg)
        path_parts.append(seg)
    path = "/" + "/".join(p for p in path_parts if p)
    for placeholder in re.findall(r"\{([^{}]+)\}", path):
        info = path_vars.get(placeholder, {})
        params[placeholder] = _Param(
            placeholder,
            example=str(info.get("value") or variables.get(placeholder, "")),
            doc=_text(info.get("description")),
            required=True,
            in_path=True,
        )
    for q in query:
        key = str(q.get("key") or "").strip()
        if not key or key.lower() in _AUTH_PARAMS or key in params:
            continue
        doc = _text(q.get("description"))
        value = q.get("value")
        example = "" if value is None or _VAR.fullmatch(str(value)) else str(value)
        required = not q.get("disabled", False) and bool(_REQUIRED.search(doc))
        params[key] = _Param(key, example=example, doc=doc, required=required)
    description = "" if isinstance(request, str) else _text(request.get("description"))
    ep = _Endpoint(
        path=path,
        title=str(item.get("name") or label),
        description=description.splitlines()[0] if description else "",
        params=params,
        requests=1,
    )
    for response in item.get("response") or []:
        _fields_from_response(ep, response)
    return ep


def _url_parts(
    url: Any, variables: Mapping[str, str]
) -> tuple[list[str], list[Mapping[str, Any]], dict[str, Mapping[str, Any]]]:
    """Path segments relative to the base URL, query items and path-variable infos."""
    if isinstance(url, str):
        raw, query, path_vars, segments = url, None, {}, None
    elif isinstance(url, Mapping):
        raw = str(url.get("raw") or "")
        query = [q for q in url.get("query") or [] if isinstance(q, Mapping)]
        path_vars = {
            str(v.get("key")): v for v in url.get("variable") or [] if isinstance(v, Mapping)
        }
        path = url.get("path")
        segments = path.split("/") if isinstance(path, str) else path
        if segments is not None:
            segments = [_seg_text(s) for s in segments]
            host = url.get("host")
            host_text = ".".join(host) if isinstance(host, list) else str(host or "")
            segments = _strip_base(_host_prefix(host_text, variables) + segments, variables)
    else:
        raise CatalogueError("the request has no URL")
    if segments is None:
        path_text, _, query_text = raw.partition("?")
        path_text = path_text.split("#", 1)[0]
        segments = _strip_base(_raw_segments(path_text, variables), variables)
        if query is None:
            query = [{"key": k, "value": v} for k, v in parse_qsl(query_text, True)]
    return [s for s in segments if s], query or [], path_vars


def _seg_text(segment: Any) -> str:
    if isinstance(segment, Mapping):  # v2.0 allows {"type": "string", "value": ...}
        return str(segment.get("value") or "")
    return str(segment)


def _host_prefix(host: str, variables: Mapping[str, str]) -> list[str]:
    """Path segments hidden in the host part: ``{{baseUrl}}`` = ``https://api/v1`` gives v1."""
    resolved = _resolve_leading(host, variables)
    if "://" in resolved:
        return [s for s in urlsplit(resolved).path.split("/") if s]
    return []


def _raw_segments(text: str, variables: Mapping[str, str]) -> list[str]:
    resolved = _resolve_leading(text.strip(), variables)
    if "://" in resolved:
        return urlsplit(resolved).path.split("/")
    if m := re.match(r"^\{\{[^{}]+\}\}", resolved):  # an unknown base variable
        return resolved[m.end() :].split("/")
    parts = resolved.split("/")
    if parts and "." in parts[0]:  # "api.eecc.energy/v1/contracts" without a scheme
        parts = parts[1:]
    return parts


def _resolve_leading(text: str, variables: Mapping[str, str]) -> str:
    """Replace a leading ``{{var}}`` whose value is a URL (nested up to 5 times)."""
    for _ in range(5):
        m = re.match(r"^\{\{\s*([^{}]+?)\s*\}\}", text)
        if not m or m.group(1) not in variables:
            return text
        text = variables[m.group(1)].rstrip("/") + text[m.end() :]
    return text


def _strip_base(segments: list[str], variables: Mapping[str, str]) -> list[str]:
    """Drop the base URL's path (``v1``) from the front, so the path is relative."""
    segments = [s for s in segments if s]
    bases = [
        [s for s in urlsplit(v).path.split("/") if s]
        for v in variables.values()
        if v.startswith(("http://", "https://"))
    ]
    for base in sorted(bases, key=len, reverse=True):
        if base and segments[: len(base)] == base:
            return segments[len(base) :]
    if segments and _VERSION.match(segments[0]):
        return segments[1:]
    return segments


def _fields_from_response(ep: _Endpoint, response: Any) -> None:
    if not isinstance(response, Mapping):
        return
    code = response.get("code")
    if isinstance(code, int) and not 200 <= code < 300:
        return
    body = response.get("body")
    if not isinstance(body, str) or not body.strip():
        return
    try:
        data = json.loads(body)
    except ValueError:
        return
    if isinstance(data, Mapping) and isinstance(data.get("value"), list):
        records = data["value"]
    elif isinstance(data, list):
        records = data
    elif isinstance(data, Mapping) and not {"error", "statusCode"} & set(data):
        records = [data]
    else:
        return
    for record in records[:_SAMPLE_RECORDS]:
        if isinstance(record, Mapping):
            _flatten_types(record, "", ep.fields)


def _flatten_types(record: Mapping[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            _flatten_types(value, name + ".", out)
        elif value is None or (isinstance(value, Mapping) and not value):
            out.setdefault(name, "")  # type unknown so far
        elif not out.get(name):
            kind = infer_field_type(value)
            out[name] = "text" if kind == "object" else kind


def _merge_endpoints(into: _Endpoint, other: _Endpoint) -> None:
    into.requests += other.requests
    into.description = into.description or other.description
    for name, p in other.params.items():
        if name not in into.params:
            into.params[name] = p
        else:
            q = into.params[name]
            q.doc = q.doc or p.doc
            q.example = q.example or p.example
    for name, kind in other.fields.items():
        if not into.fields.get(name):
            into.fields[name] = kind


# ---- matching and merging --------------------------------------------------------------------


def _shape(path: str) -> str:
    return re.sub(r"\{[^{}]+\}", "{}", path.rstrip("/")).lower()


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _name_from_path(path: str) -> str:
    literal = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    last = literal[-1] if literal else "dataset"
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", last).replace("_", "-").lower()
    return re.sub(r"[^a-z0-9\-]+", "-", name).strip("-") or "dataset"


def _match(ep: _Endpoint, base: Catalogue, taken: set[str]) -> Dataset | None:
    candidates = [ds for ds in base if ds.name not in taken and ds.parent is None]
    shape = _shape(ep.path)
    for ds in candidates:
        if _shape(ds.path) == shape:
            return ds
    wanted = _fold(_name_from_path(ep.path))
    for ds in candidates:
        if _fold(ds.name) == wanted:
            return ds
    return None


def _unique_name(name: str, base: Catalogue, taken: Mapping[str, Any]) -> str:
    candidate, n = name, 2
    while candidate in base or candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def _filter_type(p: _Param) -> str:
    if _ONE_OF.search(p.doc):
        return "enum"
    if _DATE_VALUE.match(p.example) or p.name.lower() in ("from", "to") or p.name.endswith("On"):
        return "date"
    if _ID_NAME.search(p.name):
        return "id"  # several ids: one request each; free text keeps its commas
    return "text"


def _filter_entry(p: _Param, name: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name or p.name, "type": _filter_type(p)}
    if name and name != p.name:
        entry["api_name"] = p.name
    if p.required:
        entry["required"] = True
    if m := _ONE_OF.search(p.doc):
        entry["allowed"] = [a for a in re.split(r"\s*(?:,|/|\||\bor\b)\s*", m.group(1)) if a]
        if (d := _DEFAULT.search(p.doc)) and d.group(1) in entry["allowed"]:
            entry["default"] = d.group(1)
    if p.doc:
        entry["doc"] = p.doc.splitlines()[0][:200]
    return entry


def _patch_for(ds: Dataset, ep: _Endpoint) -> tuple[dict[str, Any], str]:
    """The override entry that turns ``ds`` into what the collection shows, and a summary."""
    patch: dict[str, Any] = {}
    changes: list[str] = []
    # path: keep the built-in placeholder names where the positions agree
    if _shape(ep.path) != _shape(ds.path):
        new_path = ep.path
        own = re.findall(r"\{([^{}]+)\}", ep.path)
        builtin = ds.path_params()
        if len(own) == len(builtin):
            for a, b in zip(own, builtin, strict=True):
                new_path = new_path.replace("{" + a + "}", "{" + b + "}")
                if a in ep.params:
                    ep.params[b] = ep.params.pop(a)
                    ep.params[b].name = b
        patch["path"] = new_path
        changes.append(f"path {ds.path} -> {new_path}")
    else:
        for a, b in zip(
            re.findall(r"\{([^{}]+)\}", ep.path), ds.path_params(), strict=True
        ):  # same shape: the placeholder is the built-in's filter, whatever it is called here
            if a in ep.params and a != b:
                p = ep.params.pop(a)
                p.name = b
                ep.params[b] = p
    # filters: same API name -> keep; same but spelt differently -> api_name rename; else new
    filters: list[dict[str, Any]] = []
    for p in ep.params.values():
        existing = _find(ds.filters, p.name, lambda f: (f.param, f.name))
        if existing is None:
            if p.in_path and any(f.name == p.name for f in ds.filters):
                continue
            filters.append(_filter_entry(p))
            changes.append(f"new filter {p.name}")
        elif p.name not in (existing.param, existing.name) or (
            existing.api_name and p.name == existing.name and p.name != existing.param
        ):
            filters.append({"name": existing.name, "api_name": p.name})
            changes.append(f"filter {existing.name} sent as {p.name}")
    if filters:
        patch["filters"] = filters
    # fields (only when an example response showed them): renamed ones keep their column
    fields: list[dict[str, Any]] = []
    for name, kind in ep.fields.items():
        existing = _find(ds.fields, name, lambda f: (f.source, f.name))
        if existing is None:
            fields.append({"name": name, "type": kind or "text"})
            changes.append(f"new field {name}")
        elif name != existing.source:
            fields.append({"name": existing.name, "api_name": name})
            changes.append(f"field {existing.name} read from {name}")
    if fields:
        patch["fields"] = fields
    return patch, "; ".join(changes)


def _find(items: tuple[Any, ...], name: str, keys: Any) -> Any:
    for item in items:
        if name in keys(item):
            return item
    folded = _fold(name)
    for item in items:
        if any(_fold(k) == folded for k in keys(item) if k):
            return item
    return None


def _new_dataset(ep: _Endpoint) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": ep.path,
        "description": ep.description or ep.title,
        "filters": [_filter_entry(p) for p in ep.params.values()],
        "fields": [{"name": n, "type": k or "text"} for n, k in ep.fields.items()],
    }
    if "id" not in ep.fields:
        entry["key"] = None
    return entry
