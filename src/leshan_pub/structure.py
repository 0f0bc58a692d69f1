"""Text to blocks with roles: title, headings, paragraphs, photo captions and source credits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .chars import HAN_CHARACTER
from .document import Block, Cell, Emphasis, Mark, Picture, Role
from .emphasis import join
from .rules import load_rules
from .script import to_simplified

_HAN = HAN_CHARACTER.pattern
_TWO_PHRASES = re.compile(rf"^\S*{_HAN}\S*[ \u3000]+\S*{_HAN}\S*$")
_TITLE_SPLIT = ("：", ":")
_BRACKETS = "（）()【】[]"


@dataclass
class _Line:
    """A non-empty source line with the blank lines around it."""

    number: int
    text: str
    blanks_before: int
    blanks_after: int = 0


@dataclass(frozen=True)
class AuthoredParagraph:
    """A paragraph from a format that separates paragraphs itself (Word, Markdown).

    role is the one the author set (a Word style, a Markdown heading), or None for the text
    rules to decide; blank_before/after count empty paragraphs around it (an image's place).
    """

    text: str
    role: Role | None
    line: int  # 1-based paragraph number (Word) or line (Markdown), for messages
    marks: tuple[Mark, ...] = ()
    blanks_before: int = 0
    blanks_after: int = 0
    cell: Cell | None = None  # where a table cell's paragraph stands in its table
    picture: Picture | None = None  # the image an image paragraph (alt text or placeholder) stands for


class _Rules:
    """The structure rules of data/structure.toml, compiled once."""

    def __init__(self) -> None:
        raw = load_rules("structure")
        seg = load_rules("segment")
        self.short_line: int = raw["short_line"]
        labels = "|".join(map(re.escape, raw["credit_prefixes"]))
        self.credit = re.compile(rf"^[（(【]?(?:{labels})\s*[：:\s]")
        self.credit_inside = re.compile(rf"[ \t\u3000](?:{labels})\s*[：:]")  # a dateline's 来源：
        self.datelines = [re.compile(p) for p in raw["dateline_patterns"]]
        self.caption_suffixes = tuple(raw["caption_suffixes"])
        self.caption_prefixes = tuple(raw["caption_prefixes"])
        self.headings = [re.compile(p) for p in raw["heading_patterns"]]
        self.two_phrases: bool = raw["heading_two_phrases"]
        self.open_ends = tuple(raw["open_ends"])
        self.credit_never_ends = frozenset(raw["credit_never_ends"])
        self.subtitle_openers = tuple(raw["subtitle_openers"])
        self.caption_blank_gap: int = raw["caption_blank_gap"]
        self.enders = seg["enders"]
        self.closers = seg["closers"]

    def ends_sentence(self, text: str) -> bool:
        return text.rstrip(self.closers)[-1:] in set(self.enders) if text.rstrip(self.closers) else False

    def goes_on(self, text: str) -> bool:
        """True when the line ends mid-sentence (a comma, a colon): what follows continues it."""
        return text.rstrip(self.closers).endswith(self.open_ends)

    def is_short(self, text: str) -> bool:
        return len(text) <= self.short_line and not self.ends_sentence(text)

    # The labels in structure.toml are simplified; a traditional article's 記者 and 圖 are matched
    # in their simplified form (character by character, so lengths and positions stay the author's).

    def is_credit(self, text: str) -> bool:
        """A line that opens with a credit label (来源：, 记者 …) and reads as a credit: not a question
        or exclamation, and not a paragraph's length after its label (an interview's 记者： turns).
        A short dateline (a date first, or a credit label after white space) is one too."""
        simplified = to_simplified(text)[0]
        label = self.credit.match(simplified)
        if not label:
            return self.is_short(text) and (
                any(p.match(simplified) for p in self.datelines) or self.credit_inside.search(simplified) is not None
            )
        rest = text[label.end() :].strip()
        return len(rest) <= self.short_line and rest.rstrip(self.closers)[-1:] not in self.credit_never_ends

    def is_caption(self, text: str) -> bool:
        bare = to_simplified(text)[0].strip(_BRACKETS)
        return bare.endswith(self.caption_suffixes) or bare.startswith(self.caption_prefixes)

    def is_heading(self, text: str) -> bool:
        if any(p.match(text) for p in self.headings):
            return True
        return self.two_phrases and bool(_TWO_PHRASES.match(text))


class StructureParser:
    """Finds the role of every line of an article and rejoins paragraphs the source broke in two."""

    @cached_property
    def rules(self) -> _Rules:
        return _Rules()

    def parse(self, text: str) -> list[Block]:
        """Blocks in document order; [] when the text has no non-blank line."""
        lines = self._rejoin_broken(self._lines(text))
        roles = self._roles(lines)
        return [
            Block(index=i, role=role, text=line.text, first_line=line.number)
            for i, (line, role) in enumerate(zip(lines, roles))
        ]

    def parse_authored(self, paragraphs: Sequence[AuthoredParagraph]) -> list[Block]:
        """Blocks from authored paragraphs in order: the author's roles kept, the rest found as for text.

        Paragraphs are never rejoined (the format already says where they end). Without a Title
        the author set, the same title rules as for text look at the leading unstyled paragraphs.
        A short paragraph set wholly in bold is a heading. Blank paragraphs are dropped.
        """
        kept = [p for p in paragraphs if p.text.strip()]
        lines = [_Line(p.line, p.text.strip(), p.blanks_before, p.blanks_after) for p in kept]
        roles: list[Role | None] = [p.role for p in kept]
        marks = [p.marks for p in kept]
        carried = [(p.cell, p.picture) for p in kept]  # table place and image, kept beside each line
        if Role.TITLE not in roles:
            leading = next((i for i, role in enumerate(roles) if role is not None), len(roles))
            title = self._title_span(lines[:leading])
            if title is not None:
                start, end = title
                text, joined_marks = join([(line.text, m) for line, m in zip(lines[start:end], marks[start:end])])
                lines[start].text, marks[start], roles[start] = text, joined_marks, Role.TITLE
                del lines[start + 1 : end], roles[start + 1 : end], marks[start + 1 : end], carried[start + 1 : end]
                if start + 1 < len(roles) and roles[start + 1] is None and self._is_subtitle(lines, start + 1):
                    roles[start + 1] = Role.TITLE
        for i, line in enumerate(lines):
            if roles[i] is not None:
                continue
            if self._all_bold(line.text, marks[i]) and self.rules.is_short(line.text):
                roles[i], marks[i] = Role.HEADING, ()
            else:
                roles[i] = self._role(lines, i)
        return [
            Block(index=i, role=role, text=line.text, first_line=line.number, marks=m, cell=cell, picture=picture)
            for i, (line, role, m, (cell, picture)) in enumerate(zip(lines, roles, marks, carried))
            if role is not None
        ]

    @staticmethod
    def _all_bold(text: str, marks: tuple[Mark, ...]) -> bool:
        return any(m.style is Emphasis.BOLD and m.start == 0 and m.end >= len(text) for m in marks)

    @staticmethod
    def _lines(text: str) -> list[_Line]:
        lines: list[_Line] = []
        blanks = 0
        for number, raw in enumerate(text.split("\n"), start=1):
            stripped = raw.strip()
            if not stripped:
                blanks += 1
                continue
            if lines:
                lines[-1].blanks_after = blanks
            lines.append(_Line(number, stripped, blanks_before=blanks if lines else max(blanks, 0)))
            blanks = 0
        if lines:
            lines[-1].blanks_after = blanks
        return lines

    def _rejoin_broken(self, lines: list[_Line]) -> list[_Line]:
        """Join a long line that stops mid-sentence with the prose line that continues it."""
        rules = self.rules
        joined: list[_Line] = []
        pieces: list[str] = []  # of the last joined line; joined once at the end (no quadratic concat)
        length = 0
        for line in lines:
            if (
                pieces
                and length > rules.short_line
                and not rules.ends_sentence(pieces[-1])
                and not rules.is_credit(line.text)
                and not (rules.is_short(line.text) and (rules.is_heading(line.text) or rules.is_caption(line.text)))
            ):
                sep = " " if pieces[-1][-1].isascii() and line.text[0].isascii() else ""
                pieces.append(sep + line.text)
                length += len(sep) + len(line.text)
                joined[-1].blanks_after = line.blanks_after
                continue
            if pieces:
                joined[-1].text = "".join(pieces)
            joined.append(_Line(line.number, line.text, line.blanks_before, line.blanks_after))
            pieces, length = [line.text], len(line.text)
        if pieces:
            joined[-1].text = "".join(pieces)
        return joined

    def _roles(self, lines: list[_Line]) -> list[Role]:
        roles: list[Role | None] = [None] * len(lines)
        title = self._title_span(lines)
        if title is not None:
            start, end = title
            lines[start].text = "".join(line.text for line in lines[start:end])
            del lines[start + 1 : end], roles[start + 1 : end]
            roles[start] = Role.TITLE
            if self._is_subtitle(lines, start + 1):
                roles[start + 1] = Role.TITLE
        for i, line in enumerate(lines):
            if roles[i] is None:
                roles[i] = self._role(lines, i)
        return [r for r in roles if r is not None]

    def _title_span(self, lines: list[_Line]) -> tuple[int, int] | None:
        """[start, end) of the title lines before the first paragraph, or None when there is none.

        A short line ending in a colon followed by a short line is a title split in two
        ("四川乐山：" / "培育新质生产力…"); otherwise the first short line that is neither a
        credit nor a marked caption is the title. Credits above it (原标题：, a dateline) are passed over.
        """
        rules = self.rules
        candidates: list[int] = []
        for i, line in enumerate(lines):
            credit = rules.is_credit(line.text)
            if credit and not candidates:
                continue  # a web page's 原标题： or dateline above the title
            if credit or not rules.is_short(line.text):
                break
            candidates.append(i)
        for i in candidates:
            nxt = i + 1
            if lines[i].text.endswith(_TITLE_SPLIT) and nxt in candidates:
                return i, nxt + 1
        for i in candidates:
            if not rules.is_caption(lines[i].text) and not self._beside_image(lines[i]):
                return i, i + 1
        return (candidates[0], candidates[0] + 1) if candidates else None

    def _is_subtitle(self, lines: list[_Line], i: int) -> bool:
        """True when line i, right after the title, is its subtitle: a short line opening with a dash."""
        if i >= len(lines):
            return False
        text = lines[i].text
        return len(text) <= 2 * self.rules.short_line and text.startswith(self.rules.subtitle_openers)

    def _beside_image(self, line: _Line) -> bool:
        gap = self.rules.caption_blank_gap
        return line.blanks_before >= gap or line.blanks_after >= gap

    def _role(self, lines: list[_Line], i: int) -> Role:
        rules = self.rules
        text = lines[i].text
        if rules.is_credit(text):
            return Role.CREDIT
        if not rules.is_short(text):
            return Role.PARAGRAPH
        if rules.is_heading(text):
            return Role.HEADING
        if rules.goes_on(text):
            return Role.PARAGRAPH
        if rules.is_caption(text) or self._beside_image(lines[i]):
            return Role.CAPTION
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        return Role.HEADING if following and not rules.is_short(following) else Role.CAPTION


def parse_structure(text: str) -> list[Block]:
    """The article's blocks with roles, in document order; [] for text with no non-blank line."""
    return StructureParser().parse(text)


def parse_authored(paragraphs: Sequence[AuthoredParagraph]) -> list[Block]:
    """Blocks of an article whose format separates paragraphs (Word, Markdown); [] when all are blank."""
    return StructureParser().parse_authored(paragraphs)
