"""A Postman collection export (v2.0 / v2.1, or E&C's published-documentation wrapper) as requests.

What is read: every request of the (nested) item tree; its URL as a string or as an object
(``host``/``path``/``query``/``variable``), with ``{{baseUrl}}``-style variables (the
collection's ``variable`` list and, in the documentation wrapper, its environments); path
variables ``:id`` or ``{{id}}`` become ``{id}``; query parameters with their descriptions and
example values (``disabled`` ones too: a vendor documents optional parameters that way); the saved
example responses (``response[]``: code, headers, body parsed as JSON). Nothing here interprets
what a parameter or a field means: that is :mod:`ecore_xl.catalogue.postman.importer`'s job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecore_xl.errors import CatalogueError

__all__ = [
    "HOW_TO_EXPORT",
    "Example",
    "Param",
    "Request",
    "is_documentation_page",
    "read_collection",
    "requests_of",
    "unwrap",
]

HOW_TO_EXPORT = (
    "In Postman, open (or fork) the eCore API collection, choose '...' > Export > "
    "Collection v2.1, save the file and run 'ecore-xl catalogue import FILE' on it."
)
_VAR = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_PATH_VAR = re.compile(r"^:([A-Za-z_][A-Za-z0-9_\-]*)$")
_VERSION = re.compile(r"^v\d+(\.\d+)?$", re.IGNORECASE)
_AUTH_PARAMS = {"subscription-key", "subscription_key", "ocp-apim-subscription-key", "code"}


@dataclass
class Param:
    """One parameter as the collection documents it (``value`` is its example)."""

    name: str
    value: str = ""
    doc: str = ""
    disabled: bool = False
    in_path: bool = False


@dataclass
class Example:
    """A saved response: its code, headers and body (``body`` is None when it is not JSON;
    ``problem`` then says why)."""

    code: int | None
    headers: dict[str, str]
    body: Any
    problem: str | None = None


@dataclass
class Request:
    """One request of the collection, its path relative to the base URL (``{name}``
    placeholders), parameters and examples. ``documented``: the query parameters come as a list
    (so one that is not listed is one the API does not take), not only inside a raw URL."""

    label: str
    title: str
    method: str
    path: str
    description: str = ""
    query: list[Param] = field(default_factory=list)
    path_params: dict[str, Param] = field(default_factory=dict)
    documented: bool = False
    examples: list[Example] = field(default_factory=list)

    @property
    def placeholders(self) -> list[str]:
        return re.findall(r"\{([^{}]+)\}", self.path)

    @property
    def single(self) -> bool:
        """Whether the path ends in a placeholder (one record: ``/contracts/{id}``)."""
        return self.path.rstrip("/").endswith("}")


def read_collection(path: str | Path) -> dict[str, Any]:
    """The collection object of an export file (the documentation wrapper is unwrapped)."""
    file = Path(path)
    try:
        data = json.loads(file.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise CatalogueError(f"Postman file {file} cannot be read: {exc.strerror}.") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise CatalogueError(f"Postman file {file} is not JSON: {exc}. {HOW_TO_EXPORT}") from None
    return unwrap(data, str(file))


#: set by :func:`unwrap` on what came from a published documentation page's data
DOCUMENTATION_PAGE = "_documentation_page"


def is_documentation_page(data: Any) -> bool:
    """``data`` is, or was unwrapped from, a published documentation page's data (E&C's:
    ``{"collection": {"info"}, ..., "environments"}``): the collection's description, none of
    its requests."""
    if not isinstance(data, Mapping):
        return False
    inner = data.get("collection")
    return bool(data.get(DOCUMENTATION_PAGE)) or (isinstance(inner, Mapping) and "info" in inner)


def unwrap(data: Any, source: str) -> dict[str, Any]:
    """The collection inside ``data`` (E&C's documentation wrapper carries its environments)."""
    if not isinstance(data, Mapping):
        raise CatalogueError(f"{source} is not a Postman collection (no 'info' and 'item').")
    inner = data.get("collection")
    if is_documentation_page(data) and isinstance(inner, Mapping):
        merged = {**inner, DOCUMENTATION_PAGE: True}
        envs = data.get("environments")
        if isinstance(envs, list):
            merged["_environment_values"] = [
                v for env in envs if isinstance(env, Mapping) for v in env.get("values") or []
            ]
        if "_environment_values" in data:
            merged["_environment_values"] = data["_environment_values"]
        return merged
    if "info" not in data and "item" not in data:
        raise CatalogueError(
            f"{source} is not a Postman collection (no 'info' and 'item'). {HOW_TO_EXPORT}"
        )
    return dict(data)


def requests_of(collection: Mapping[str, Any]) -> tuple[list[Request], list[str]]:
    """Every request of the collection, and what could not be read (one line each)."""
    variables = _variables(collection)
    out: list[Request] = []
    problems: list[str] = []
    items = collection.get("item")
    for trail, item in _walk(items if isinstance(items, list) else []):
        label = " / ".join(trail)
        try:
            out.append(_request(item, variables, label))
        except CatalogueError as exc:
            problems.append(f"{label}: {exc}")
    return out, problems


# ---- reading ---------------------------------------------------------------------------------


def _variables(collection: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for source in (collection.get("_environment_values"), collection.get("variable")):
        if not isinstance(source, list):
            continue
        for var in source:
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


def text_of(value: Any) -> str:
    """A v2.1 description may be ``{"content": ..., "type": ...}``."""
    if isinstance(value, Mapping):
        value = value.get("content")
    return str(value or "").strip()


def _request(item: Mapping[str, Any], variables: Mapping[str, str], label: str) -> Request:
    request = item["request"]
    method = "GET" if isinstance(request, str) else str(request.get("method") or "GET").upper()
    url = request if isinstance(request, str) else request.get("url")
    segments, query, path_vars, documented = _url_parts(url, variables)
    parts = []
    for seg in segments:
        seg = _PATH_VAR.sub(r"{\1}", seg)
        seg = _VAR.sub(lambda m: "{" + m.group(1).strip() + "}", seg)
        parts.append(seg)
    path = "/" + "/".join(p for p in parts if p)
    req = Request(
        label=label,
        title=str(item.get("name") or label),
        method=method,
        path=path,
        description="" if isinstance(request, str) else text_of(request.get("description")),
        documented=documented,
    )
    for placeholder in req.placeholders:
        info = path_vars.get(placeholder, {})
        value = info.get("value")
        req.path_params[placeholder] = Param(
            placeholder,
            value=str(value if value is not None else variables.get(placeholder, "")),
            doc=text_of(info.get("description")),
            in_path=True,
        )
    for q in query:
        key = str(q.get("key") or "").strip()
        if not key or key.lower() in _AUTH_PARAMS or key in req.path_params:
            continue
        value = q.get("value")
        example = "" if value is None or _VAR.fullmatch(str(value)) else str(value)
        req.query.append(
            Param(key, example, text_of(q.get("description")), bool(q.get("disabled", False)))
        )
    responses = item.get("response")
    for response in responses if isinstance(responses, list) else []:
        example = _example(response)
        if example is not None:
            req.examples.append(example)
    return req


def _example(response: Any) -> Example | None:
    if not isinstance(response, Mapping):
        return None
    code = response.get("code")
    headers = {
        str(h.get("key")): str(h.get("value"))
        for h in _list(response.get("header"))
        if isinstance(h, Mapping) and h.get("key")
    }
    body = response.get("body")
    if not isinstance(body, str) or not body.strip():
        return Example(code if isinstance(code, int) else None, headers, None, "no body")
    try:
        data = json.loads(body)
    except ValueError:
        return Example(code if isinstance(code, int) else None, headers, None, "not JSON")
    return Example(code if isinstance(code, int) else None, headers, data)


def _url_parts(
    url: Any, variables: Mapping[str, str]
) -> tuple[list[str], list[Mapping[str, Any]], dict[str, Mapping[str, Any]], bool]:
    """Path segments relative to the base URL, query items, path-variable infos, and whether
    the query parameters came as a list."""
    documented = False
    if isinstance(url, str):
        raw, query, path_vars, segments = url, None, {}, None
    elif isinstance(url, Mapping):
        raw = str(url.get("raw") or "")
        listed = url.get("query")
        documented = isinstance(listed, list) and bool(listed)
        query = [q for q in listed or [] if isinstance(q, Mapping)] if documented else None
        path_vars = {
            str(v.get("key")): v for v in _list(url.get("variable")) if isinstance(v, Mapping)
        }
        path = url.get("path")
        segments = path.split("/") if isinstance(path, str) else path
        if isinstance(segments, list):
            segments = [_seg_text(s) for s in segments]
            host = url.get("host")
            host_text = ".".join(map(str, host)) if isinstance(host, list) else str(host or "")
            segments = _strip_base(_host_prefix(host_text, variables) + segments, variables)
        else:
            segments = None
    else:
        raise CatalogueError("the request has no URL")
    if segments is None:
        path_text, _, query_text = raw.partition("?")
        path_text = path_text.split("#", 1)[0]
        segments = _strip_base(_raw_segments(path_text, variables), variables)
        if query is None:
            query = [{"key": k, "value": v} for k, v in parse_qsl(query_text, True)]
    elif query is None:
        _, _, query_text = raw.partition("?")
        query = [{"key": k, "value": v} for k, v in parse_qsl(query_text, True)]
    return [s for s in segments if s], query or [], path_vars, documented


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one (exports hold odd things)."""
    return value if isinstance(value, list) else []


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
