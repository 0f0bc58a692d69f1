"""Markdown articles (CommonMark with tables and footnotes): headings, paragraphs, lists and emphasis, markup kept out of the text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from ..chars import UNSPACED_CHARACTER
from ..document import Cell, Emphasis, Mark, Picture, Role
from ..emphasis import shift, strip
from ..errors import InputError
from ..files import read_input
from ..read import MAX_ARTICLE_BYTES, decode_article
from ..rules import load_rules
from ..structure import AuthoredParagraph, parse_authored
from . import IMAGE_PLACEHOLDER, Article
from .raised import raised

_EMPHASIS = {"strong": Emphasis.BOLD, "em": Emphasis.ITALIC}
_SHIFT_TAG = re.compile(r"<(?P<close>/?)(?P<name>sup|sub)\s*>", re.IGNORECASE)
# Image files a publisher can place, by suffix -> the type it is.
_IMAGE_TYPES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif"}
_IMAGE_LIMIT = 20 * 1024 * 1024  # a bigger picture is named, not carried


@dataclass
class _Inline:
    """The text of one inline token with its emphasis, and the images it held."""

    parts: list[str] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    open: dict[Emphasis, list[int]] = field(default_factory=dict)
    images: list[tuple[str, str]] = field(default_factory=list)  # (alt text, address)
    links: int = 0
    html: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        return sum(map(len, self.parts))

    def add(self, text: str) -> None:
        self.parts.append(text)

    def line_break(self) -> None:
        # A line break inside a paragraph is no space in Chinese, a space between Latin words.
        before = "".join(self.parts)
        self.parts.append("" if UNSPACED_CHARACTER.match(before[-1:]) else " ")


def _inline(token: Token) -> _Inline:
    found = _Inline()
    shifted = ""  # "sup" or "sub" inside <sup>…</sup> or <sub>…</sub>
    for child in token.children or []:
        kind = child.type
        if kind == "text" or kind == "code_inline":
            if found.parts and found.parts[-1] == " " and UNSPACED_CHARACTER.match(child.content):
                found.parts[-1] = ""
            content = child.content
            if shifted:  # 10<sup>5</sup> is 10⁵, not 105
                content = raised(content, subscript=shifted == "sub") or content
            found.add(content)
        elif kind == "html_inline" and (tag := _SHIFT_TAG.fullmatch(child.content.strip())):
            shifted = "" if tag["close"] else tag["name"].lower()
        elif kind in ("softbreak", "hardbreak"):
            found.line_break()
        elif kind.removesuffix("_open") in _EMPHASIS and kind.endswith("_open"):
            found.open.setdefault(_EMPHASIS[kind.removesuffix("_open")], []).append(found.length)
        elif kind.removesuffix("_close") in _EMPHASIS and kind.endswith("_close"):
            style = _EMPHASIS[kind.removesuffix("_close")]
            start = found.open[style].pop()
            found.marks.append(Mark(start, found.length, style))
        elif kind == "image":
            found.images.append((child.content.strip(), str(child.attrs.get("src", ""))))
        elif kind == "link_open":
            found.links += 1
        elif kind == "html_inline":
            found.html.append(child.content)
    return found


def read_markdown(path: Path, encoding: str | None = None) -> Article:
    """A Markdown article: `#` title, other headings, paragraphs, list items and table cells as blocks.

    The first level-1 heading before any paragraph is the title. **bold** and *italic* become
    marks on the text, never text; footnotes ([^1]: …) are notes after the article, their marks in
    the text dropped; table cells carry their row and column (the header row's
    flagged); images become caption blocks (their alt text, or a placeholder) that carry the
    picture when it is a local PNG, JPEG or GIF file; code blocks, HTML and images that cannot be
    carried are listed in Article.skipped.
    """
    data = read_input(path, InputError, "a Markdown article (.md)", max_bytes=MAX_ARTICLE_BYTES)
    skipped: list[str] = []
    text = decode_article(data, name=str(path), encoding=encoding, notes=skipped)
    tokens = MarkdownIt("commonmark").enable("table").use(footnote_plugin).parse(text)
    paragraphs: list[AuthoredParagraph] = []
    gap = load_rules("structure")["caption_blank_gap"]
    containers: list[str] = []
    role: Role | None = None
    line = 1
    links = notes = 0
    after_image = False
    number = ""  # the number of the ordered-list item whose first paragraph comes next
    tables, row, column = 0, -1, 0  # tables so far, and the row and column of the cell being read
    cell: Cell | None = None
    for token in tokens:
        if token.map is not None:
            line = token.map[0] + 1
        kind = token.type
        if kind == "footnote_open":
            containers.append("footnote")
            notes += 1
        elif kind == "footnote_close":
            containers.pop()
        elif kind in ("bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"):
            containers.append(kind.removesuffix("_open"))
            if kind == "table_open":
                tables, row = tables + 1, -1
        elif kind == "list_item_open" and containers[-1] == "ordered_list":
            number = f"{token.info}{token.markup} "  # the item's number is the author's text, as in a plain-text list
        elif kind in ("bullet_list_close", "ordered_list_close", "blockquote_close", "table_close"):
            containers.pop()
        elif kind == "heading_open":
            first = not paragraphs and token.tag == "h1"
            role = Role.TITLE if first else Role.HEADING
        elif kind == "paragraph_open":
            role = Role.LIST if any(c.endswith("_list") for c in containers) else None
            if "footnote" in containers:
                role = Role.NOTE  # set after the article, as Word's footnotes are
        elif kind == "tr_open":
            row, column = row + 1, 0
        elif kind in ("th_open", "td_open"):
            role = Role.CELL
            cell = Cell(tables, row, column, header=kind == "th_open")
            column += 1
        elif kind in ("th_close", "td_close"):
            cell = None
        elif kind == "inline":
            found = _inline(token)
            links += found.links
            skipped += [f"line {line}: inline HTML {html.strip()!r} is not translated" for html in found.html]
            body, marks = strip("".join(found.parts), found.marks)
            if body and number and role is Role.LIST:
                body, marks, number = number + body, shift(marks, len(number)), ""
            if body:
                paragraphs.append(
                    AuthoredParagraph(body, role, line, marks, blanks_before=gap if after_image else 0, cell=cell)
                )
                after_image = False
            for alt, address in found.images:
                picture, why = _local_picture(path.parent, address)
                if cell is not None:
                    picture, why = None, "an image in a table cell is set as its alt text in the cell"
                paragraphs.append(AuthoredParagraph(alt or IMAGE_PLACEHOLDER, role if cell else Role.CAPTION, line,
                                                    cell=cell, picture=picture))
                if why:
                    skipped.append(f"line {line}: image {address!r}: {why}")
                after_image = True
        elif kind in ("fence", "code_block"):
            skipped.append(f"line {line}: code block is not translated")
        elif kind == "html_block":
            skipped.append(f"line {line}: HTML block is not translated")
    if links:
        skipped.append(f"{links} link(s): the link text is translated, the web addresses are not kept")
    if notes:
        skipped.append(f"{notes} footnote(s) are translated as notes after the article; "
                       "their reference marks in the text ([^1]) are not kept")
    blocks = parse_authored(paragraphs)
    if not blocks:
        raise InputError(f"{path} has no text to translate; give a Chinese article")
    return Article(blocks, skipped)


def _local_picture(folder: Path, address: str) -> tuple[Picture | None, str]:
    """(the picture at a local address relative to folder, "") or (None, why it is not carried)."""
    if not address or "://" in address or address.startswith(("data:", "//")):
        return None, "only local image files are carried; save it beside the article and link it by file name"
    target = folder / address.split("#", 1)[0].split("?", 1)[0]
    kind = _IMAGE_TYPES.get(target.suffix.lower())
    if kind is None:
        return None, f"only {', '.join(_IMAGE_TYPES)} files are carried; convert it to PNG"
    try:
        if target.stat().st_size > _IMAGE_LIMIT:
            return None, f"over {_IMAGE_LIMIT // 1024 // 1024} MB; make it smaller"
        data = target.read_bytes()
    except OSError as error:
        return None, f"cannot be read ({error.strerror or error}); put the file at {target}"
    return Picture(data, kind, name=address), ""
