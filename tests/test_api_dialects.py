"""The client reads every declared envelope and paging style, and never cuts a collection short.

A scripted server on 127.0.0.1 serves 23 records in one style at a time (the mock dialects are
tested end to end in ``test_dialects_fetch.py``); the client gets the dialect as a catalogue
file would declare it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from ecore_xl.api import EcoreClient
from ecore_xl.catalogue.dialect import build_dialect, check_dialect_patch
from ecore_xl.errors import BadRequestError, NotFoundError, PagingError, UnexpectedResponseError
from tests.api_fixtures import TOKEN_PATH, Reply, Stub, json_reply, token_reply
from tests.conftest import settings_for

RECORDS = [{"id": f"R-{i:02d}", "n": i} for i in range(23)]
Serve = Callable[[dict[str, str], Mapping[str, str], str], Reply]


def _dialect(patch: dict[str, Any]) -> Any:
    return build_dialect(check_dialect_patch(patch, "dialect"))


def _run(serve: Serve, patch: dict[str, Any], **kw: Any) -> tuple[list[dict[str, Any]], Stub]:
    def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        parts = urlsplit(path)
        return serve(dict(parse_qsl(parts.query)), headers, parts.path)

    with Stub(route) as stub, EcoreClient(settings_for(stub, **kw)) as client:
        return client.get_all("/x", {"q": "1"}, dialect=_dialect(patch), dataset="things"), stub


def _queries(stub: Stub) -> list[dict[str, str]]:
    return [dict(parse_qsl(urlsplit(p).query)) for m, p, _ in stub.requests if m == "GET"]


def _pages(query: dict[str, str], first: int = 1) -> tuple[list[dict[str, Any]], int, int]:
    size = int(query["pageSize"])
    page = int(query["page"]) - first
    total_pages = -(-len(RECORDS) // size)
    return RECORDS[page * size : (page + 1) * size], page, total_pages


PAGES = {
    "style": "pages",
    "page_param": "page",
    "size_param": "pageSize",
    "max_size": 5,
    "total_pages": "meta.totalPages",
}


@pytest.mark.parametrize("first", [0, 1])
def test_page_numbers_with_total_pages_under_a_nested_envelope(first: int) -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        chunk, _, total = _pages(q, first)
        return json_reply(200, {"data": {"items": chunk}, "meta": {"totalPages": total}})

    got, stub = _run(serve, {"envelope": "data.items", "paging": {**PAGES, "first_page": first}})
    assert got == RECORDS
    queries = _queries(stub)
    assert [q["page"] for q in queries] == [str(first + i) for i in range(5)]
    assert all(q["pageSize"] == "5" and q["q"] == "1" for q in queries)


def test_page_numbers_stop_on_total_items_has_more_or_a_short_page() -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        chunk, page, total = _pages(q)
        return json_reply(
            200, {"value": chunk, "totalItems": len(RECORDS), "hasMore": page + 1 < total}
        )

    base = {k: v for k, v in PAGES.items() if k != "total_pages"}
    for stop in ({"total_items": "totalItems"}, {"has_more": "hasMore"}, {}):
        got, stub = _run(serve, {"paging": {**base, **stop}})
        assert got == RECORDS and len(_queries(stub)) == 5, stop


@pytest.mark.parametrize(
    ("names", "total"),
    [
        (("offset", "limit"), "header:X-Total-Count"),
        (("skip", "top"), "@odata.count"),
        (("offset", "limit"), None),
    ],
)
def test_offsets_with_a_total_in_the_body_a_header_or_none(
    names: tuple[str, str], total: str | None
) -> None:
    offset, limit = names

    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        start, size = int(q[offset]), int(q[limit])
        body: Any = RECORDS[start : start + size]
        if total == "@odata.count":
            return json_reply(200, {"value": body, "@odata.count": len(RECORDS)})
        return json_reply(200, body, **{"X-Total-Count": str(len(RECORDS))} if total else {})

    paging = {"style": "offset", "offset_param": offset, "size_param": limit, "max_size": 10}
    if total:
        paging["total_items"] = total
    envelope = "value" if total == "@odata.count" else "$"
    got, stub = _run(serve, {"envelope": envelope, "paging": paging})
    assert got == RECORDS
    assert [q[offset] for q in _queries(stub)] == ["0", "10", "20"]


@pytest.mark.parametrize("where", ["continuationToken", "header:x-ms-continuation"])
def test_continuation_token_in_the_body_or_a_header(where: str) -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        sent = h.get("x-ms-continuation") if where.startswith("header:") else q.get(where)
        start = int(sent or 0)
        chunk, more = RECORDS[start : start + 8], start + 8 < len(RECORDS)
        if where.startswith("header:"):
            return json_reply(
                200, {"value": chunk}, **({"x-ms-continuation": str(start + 8)} if more else {})
            )
        return json_reply(200, {"value": chunk, **({where: str(start + 8)} if more else {})})

    got, stub = _run(serve, {"paging": {"style": "cursor", "token": where, "token_param": where}})
    assert got == RECORDS and len(_queries(stub)) == 3


@pytest.mark.parametrize("where", ["links.next", "paging.next", "next", "header:Link"])
def test_a_next_link_anywhere_it_is_declared(where: str) -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        start = int(q.get("at", 0))
        chunk = RECORDS[start : start + 10]
        link = f"/v1/x?at={start + 10}" if start + 10 < len(RECORDS) else None
        if where == "header:Link":
            return json_reply(
                200, {"value": chunk}, **({"Link": f'<{link}>; rel="next"'} if link else {})
            )
        head, _, tail = where.partition(".")
        body: dict[str, Any] = {"value": chunk}
        if link:
            body[head] = {tail: link} if tail else link
        return json_reply(200, body)

    got, _ = _run(serve, {"paging": {"style": "next", "next": [where]}})
    assert got == RECORDS


# ---- never a silent truncation --------------------------------------------------------------


def _first_page_says(**body: Any) -> Serve:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        return json_reply(200, {"value": RECORDS[:10], **body})

    return serve


@pytest.mark.parametrize(
    ("says", "quoted"),
    [
        ({"meta": {"totalItems": 23}}, "meta.totalItems says 23 records in all, 10 fetched"),
        ({"totalPages": 3}, "totalPages says 3 pages, 1 fetched"),
        ({"links": {"next": "/v1/x?at=10"}}, "links.next says a next link"),
        ({"hasMore": True}, "hasMore says more records"),
        ({"continuationToken": "abc"}, "continuationToken says a continuation token"),
    ],
)
def test_a_body_that_says_there_is_more_than_the_declared_paging_fetched_is_an_error(
    says: dict[str, Any], quoted: str
) -> None:
    with pytest.raises(PagingError) as info:
        _run(_first_page_says(**says), {"paging": "next"})
    message = str(info.value)
    assert message.startswith("things: the API says there is more than the declared paging")
    assert quoted in message
    assert "datasets.things.dialect.paging" in message and "Nothing was returned" in message


def test_a_total_header_larger_than_what_came_is_an_error_too() -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        return json_reply(200, RECORDS[:10], **{"X-Total-Count": "23"})

    with pytest.raises(PagingError, match="header:X-Total-Count says 23 records in all"):
        _run(serve, {"envelope": "$", "paging": "none"})


def test_a_page_parameter_the_api_ignores_is_not_a_list_of_doubles() -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        return json_reply(200, {"value": RECORDS[:5], "meta": {"totalPages": 5}})

    with pytest.raises(PagingError, match=r"page 2 repeats the page before.*'page' parameter"):
        _run(serve, {"paging": PAGES})


def test_a_declared_total_the_body_lacks_is_named() -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        return json_reply(200, {"value": RECORDS[:5]})

    with pytest.raises(UnexpectedResponseError, match=r"nothing at 'meta.totalPages'.*total_pages"):
        _run(serve, {"paging": PAGES})


@pytest.mark.parametrize(
    ("body", "declared", "said"),
    [
        ({"data": RECORDS}, "value", "records are under 'data', not 'value'"),
        ({"data": {"items": RECORDS}}, "value", "records are under 'data.items', not 'value'"),
        (RECORDS, "data.items", "records are under the body itself (a bare JSON array)"),
        ({"value": RECORDS}, "$", "records are under 'value', not the body itself"),
    ],
)
def test_an_envelope_that_does_not_match_says_where_the_records_are(
    body: Any, declared: str, said: str
) -> None:
    with pytest.raises(UnexpectedResponseError) as info:
        _run(lambda q, h, p: json_reply(200, body), {"envelope": declared})
    assert said in str(info.value)
    assert "datasets.things.dialect.envelope" in str(info.value)


# ---- one record, error bodies ---------------------------------------------------------------


def test_one_record_bare_or_wrapped() -> None:
    def route(method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path == TOKEN_PATH:
            return token_reply()
        return json_reply(200, {"data": RECORDS[0]} if "wrapped" in path else RECORDS[0])

    with Stub(route) as stub, EcoreClient(settings_for(stub)) as client:
        assert client.get_record("/bare/1") == RECORDS[0]
        wrapped = _dialect({"envelope": {"record": "data"}})
        assert client.get_record("/wrapped/1", dialect=wrapped) == RECORDS[0]
        with pytest.raises(UnexpectedResponseError, match="""under 'data': declare"""):
            client.get_record("/wrapped/1", dataset="things")


PROBLEM = {
    "type": "https://example.org/problems/validation",
    "title": "One or more validation errors occurred.",
    "status": 400,
    "errors": {"resolution": ["PT1H is not offered for gas meters."]},
}


@pytest.mark.parametrize(
    ("body", "ctype", "target", "said"),
    [
        (
            {"error": {"code": "InvalidParameter", "message": "bad 'to'", "target": "to"}},
            "application/json",
            "to",
            "bad 'to'",
        ),
        (PROBLEM, "application/problem+json", "resolution", "PT1H is not offered for gas meters"),
        ({"statusCode": 400, "message": "interval 'hourly' is not offered"}, "application/json",
         None, "interval 'hourly' is not offered"),
    ],
)  # fmt: skip
def test_every_error_body_shape_is_read_and_names_the_parameter(
    body: Any, ctype: str, target: str | None, said: str
) -> None:
    def serve(q: dict[str, str], h: Mapping[str, str], path: str) -> Reply:
        return json_reply(400, body, **{"Content-Type": ctype})

    with pytest.raises(BadRequestError) as info:
        _run(serve, {})
    assert info.value.target == target and said in str(info.value)
    if target:
        assert f"parameter '{target}'" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": "NotFound", "message": "Meter 'M-9' was not found."}},
        {"type": "about:blank", "title": "Not Found", "status": 404,
         "detail": "Meter 'M-9' was not found."},
        {"statusCode": 404, "message": "meter M-9 not found"},
    ],
)  # fmt: skip
def test_an_unknown_id_says_which_whatever_the_error_body(body: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        _run(lambda q, h, p: json_reply(404, body), {})
    text = str(info.value).lower()
    assert "m-9" in text and "not found" in text and "check the id" in text
    assert "route" not in text and "check the path" not in text


def test_the_gateways_unknown_route_still_says_check_the_path() -> None:
    body = {"statusCode": 404, "message": "Resource not found"}
    with pytest.raises(NotFoundError, match="no route /v1/x: check the path"):
        _run(lambda q, h, p: json_reply(404, body), {})
