"""The workbook's shared-strings part: every streamed text once, cells refer to it by index."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["SST_CONTENT_TYPE", "SST_PART", "SST_REL_TYPE", "SharedStrings", "xml_text"]

SST_PART = "xl/sharedStrings.xml"
SST_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL_TYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def xml_text(text: str) -> str:
    """``text`` as XML character data; a carriage return survives as a character reference
    (a parser turns a literal CR into LF)."""
    return text.translate(_ESCAPES)


class SharedStrings:
    """Texts in first-seen order; :meth:`add` returns a text's index."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.references = 0

    def __len__(self) -> int:
        return len(self._index)

    def add(self, text: str, uses: int = 1) -> int:
        """The index of ``text`` (added when new); ``uses`` cells refer to it."""
        self.references += uses
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self._index)
        return index

    def xml(self) -> Iterator[str]:
        """The part's XML in pieces."""
        yield (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="{_MAIN_NS}" count="{self.references}" uniqueCount="{len(self)}">'
        )
        batch: list[str] = []
        for text in self._index:
            space = ' xml:space="preserve"' if text != text.strip() else ""
            batch.append(f"<si><t{space}>{xml_text(text)}</t></si>")
            if len(batch) >= 4096:
                yield "".join(batch)
                batch = []
        yield "".join(batch) + "</sst>"
