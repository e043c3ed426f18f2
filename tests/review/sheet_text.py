"""Read a review sheet as a reviewer sees it: the text of the page, or of one part of it."""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCK = frozenset(
    {"li", "ul", "ol", "tr", "p", "div", "h1", "h2", "h3", "h4", "td", "th", "table", "caption"}
)
_VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr"})


class _Text(HTMLParser):
    """Collect the text of the whole page and of every element that has an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[tuple[str, str | None, int]] = []  # (tag, id, start in parts)
        self.by_id: dict[str, str] = {}
        self.items: list[tuple[str, frozenset[str]]] = []  # (text of an li, ids around it)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "title", "script"):
            self.hidden += 1
        if tag not in _VOID:
            self.open.append((tag, dict(attrs).get("id"), len(self.parts)))
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, ident, start = self.open.pop()
            if ident is not None:
                self.by_id[ident] = _squash("".join(self.parts[start:]))
            if name == "li":
                around = frozenset(i for _, i, _ in self.open if i is not None)
                self.items.append((_squash("".join(self.parts[start:])), around))
            if name in ("style", "title", "script"):
                self.hidden -= 1
            if name == tag:
                break
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def _squash(text: str) -> str:
    return " ".join(text.split())


class Page:
    """The text of a page, whole and by element id, and its tags with their attributes."""

    def __init__(self, markup: str) -> None:
        parser = _Text()
        parser.feed(markup)
        parser.close()
        self.text = _squash("".join(parser.parts))
        self.by_id = parser.by_id
        self.tags = parser.tags
        self.items = parser.items

    def items_in(self, *idents: str) -> list[str]:
        """Return the text of every list item inside any of the elements ``idents``."""
        return [text for text, around in self.items if around & set(idents)]

    def part(self, ident: str) -> str:
        """Return the text of the element with id ``ident`` (KeyError when there is none)."""
        return self.by_id[ident]
