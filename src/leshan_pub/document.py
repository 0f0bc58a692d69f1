"""Segment, Block, ReviewState: the data every stage takes and returns."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field, fields
from enum import StrEnum
from typing import Any, Self

from .provenance import Signature, document_signature
from .script import Script


class Role(StrEnum):
    """What a block is in the article's structure."""

    TITLE = "title"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    CAPTION = "caption"
    CREDIT = "credit"
    LIST = "list-item"  # an item of a bulleted or numbered list (Markdown, Word lists)
    CELL = "table-cell"  # one paragraph of a table cell (Word and Markdown tables)
    NOTE = "footnote"  # a Word footnote or endnote, set after the article


class Emphasis(StrEnum):
    """Inline emphasis an author set on part of a sentence; kept through to the published styling."""

    BOLD = "bold"
    ITALIC = "italic"


@dataclass(frozen=True, order=True)
class Mark:
    """Emphasis on the characters [start, end) of a text: markup is kept beside the text, never in it."""

    start: int
    end: int
    style: Emphasis


class ReviewState(StrEnum):
    """Where a segment's English stands in review; publishing and re-translation decide by it."""

    NEW = "new"
    MACHINE = "machine-translated"
    REVIEWED = "reviewed"
    APPROVED = "approved"

    @property
    def is_human(self) -> bool:
        """True for states that hold a person's work, which is never overwritten silently."""
        return self in (ReviewState.REVIEWED, ReviewState.APPROVED)


# The text of an image block whose image has no alt text: the segment file keys the picture by it.
IMAGE_PLACEHOLDER = "〔图片〕"


@dataclass(frozen=True)
class Picture:
    """An image of the source article: its bytes, its file type, and the size the author set it at.

    width and height are in points; 0 when the source gives no size (a Markdown image), and the
    publisher takes the picture's own. Pictures are not kept in the segment file: publishing
    reads them again from the article (docs/tables.md).
    """

    data: bytes = field(repr=False)
    suffix: str  # "png", "jpeg", "gif", "emf" ... as the file's type says
    width: float = 0.0
    height: float = 0.0
    name: str = ""  # where it came from, for messages ("image1.png", "charts/q1.png")


@dataclass(frozen=True)
class Block:
    """A structural unit of the article: its role, its text, and the source lines it came from."""

    index: int
    role: Role
    text: str
    first_line: int  # 1-based line in the source file, for messages
    marks: tuple[Mark, ...] = ()  # emphasis within text
    cell: Cell | None = None  # where a table-cell block stands in its table; None outside tables
    picture: Picture | None = None  # the image an image block (its alt text or a placeholder) stands for


@dataclass(frozen=True)
class Match:
    """A translation-memory candidate for a segment: its Chinese and English, how close (0-100) and whence."""

    source: str
    target: str
    score: int  # 100: the same sentence once width, white space and quote style are normalised
    origin: str  # "document/segment id" of the work it came from, or "" when unknown

    def describe(self) -> str:
        """'fuzzy match 87% from leshan-2024/s1a2b3c4d5' (or 'exact match ...' at 100)."""
        kind = "exact match" if self.score >= 100 else f"fuzzy match {self.score}%"
        return f"{kind} from {self.origin or 'the translation memory'}"


class TermMethod(StrEnum):
    """How one glossary term occurrence got into a segment's English (a term record's method)."""

    MODEL = "model"  # the model wrote the term itself
    REWRITTEN = "rewritten"  # the model's own rendering was located and the term written in its place
    SPLICED = "spliced"  # put in place of the draft words aligned to (or owed to) the term's Chinese
    CONTINUED = "continued"  # placed, and the rest of the sentence decoded again after it
    PLACED = "placed"  # placed by the last resort (constrained decoding, or a place the model was unsure of)
    RULE = "rule"  # English made by rule, not by the model (figure-only table cells)
    PERSON = "person"  # present in English a person wrote or edited
    MISSED = "missed"  # not in the English; detail says why


@dataclass(frozen=True)
class TermRecord:
    """How one occurrence of a glossary term went into a segment's English.

    source is the term's Chinese as the glossary lists it; target the English form written (a
    plural or capitalised form of the entry, or "" for a miss); detail a short reason or what
    changed around the term ("a -> an", "verb are -> is", "uncertain place"), "" when nothing did.
    """

    source: str
    target: str
    method: TermMethod
    detail: str = ""


@dataclass(frozen=True)
class Cell:
    """Where a table cell's segment stands: table number (from 1), 0-based row and column, spans, header row."""

    table: int
    row: int
    column: int
    rows: int = 1  # rows the cell spans (merged vertically)
    columns: int = 1  # columns the cell spans (merged horizontally)
    header: bool = False  # a header row, repeated on each page


@dataclass(frozen=True)
class Approval:
    """Who approved a segment's English, and when (UTC, ISO 8601 'YYYY-MM-DDTHH:MM:SSZ')."""

    who: str
    when: str


@dataclass
class _Identified:
    """What names a unit: its id (a segment's stable id; in the memory, the segment it came from)."""

    id: str


@dataclass
class Unit(_Identified):
    """One translation unit: the Chinese, its English, review state, notes and matches, and emphasis.

    The one currency between the segment file, the exchange files and the memory, as Translate
    Toolkit's TranslationUnit is: a Segment is a unit placed in an article; an import row
    (formats.rows.Edit) a unit with where it stands in its file; a memory entry
    (formats.tmx_entries.MemoryEntry) a unit with its document, dates, person and <tu>. What only
    one of them knows lives on that one.
    """

    source: str
    target: str = ""
    state: ReviewState = ReviewState.NEW
    notes: list[str] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)  # memory candidates, best first
    _: KW_ONLY
    source_marks: tuple[Mark, ...] = ()  # emphasis within source; not part of a segment's id
    target_marks: tuple[Mark, ...] = ()  # emphasis within target
    comments: list[str] = field(default_factory=list)  # reviewers' comments (XLIFF notes from="reviewer")

    @classmethod
    def from_unit(cls, unit: Unit, **more: Any) -> Self:
        """A unit of this kind holding unit's fields, and more: what only this kind knows (block, where, who...).

        Translate Toolkit's buildfromunit: how a trans-unit as read becomes a segment or an import row.
        """
        return cls(**{f.name: getattr(unit, f.name) for f in fields(Unit)}, **more)


@dataclass
class _Placed(_Identified):
    """Where a segment stands in its article: the block it belongs to, and that block's role."""

    block: int
    role: Role


@dataclass
class Segment(Unit, _Placed):
    """One sentence (or heading, caption...) of the source with its English and review state.

    A unit placed in its article, made as it always was: Segment(id, block, role, source, target,
    state, notes, matches, signature, ...). Unit and _Placed both start from _Identified, so the
    dataclass lays the fields out id, then block and role, then the unit's, then the segment's own.
    """

    signature: Signature | None = None  # how the English was made; None when unknown or there is none
    # How each glossary term occurrence went into the English, in source order; () when not recorded.
    terms: tuple[TermRecord, ...] = ()
    # The memory match the English was drafted from (its source, English, score, origin); None when
    # the English is not a memory draft. Kept through later builds until a better match or a person.
    draft: Match | None = None
    cell: Cell | None = None  # where the segment stands in a table, for table-cell segments
    approval: Approval | None = None  # who approved and when; None when not approved or not recorded

    @property
    def is_fuzzy_draft(self) -> bool:
        """True when the English is a memory draft awaiting review, not machine output."""
        if self.state is not ReviewState.MACHINE:
            return False
        if self.draft is not None:
            return self.target == self.draft.target
        return bool(self.matches) and self.target == self.matches[0].target


@dataclass(frozen=True)
class Provenance:
    """The document-level record in the segment file's header: tool, segmenter, last model, glossary hash.

    How each segment's English was made is the segment's own signature (provenance.Signature).
    """

    tool_version: str
    segmenter_version: str
    model: str = ""
    model_revision: str = ""
    glossary_sha256: str = ""
    # When any segment's English last changed (UTC 'YYYY-MM-DDTHH:MM:SSZ', SOURCE_DATE_EPOCH when
    # set): stamped by write_segment_file; "" when there is no English yet or no record of it.
    english_changed: str = ""

    def as_dict(self) -> dict[str, str]:
        fields = {
            "tool-version": self.tool_version,
            "segmenter-version": self.segmenter_version,
            "model": self.model,
            "model-revision": self.model_revision,
            "glossary-sha256": self.glossary_sha256,
        }
        return fields | ({"english-changed": self.english_changed} if self.english_changed else {})


@dataclass
class Document:
    """A whole article as segments, with its name (the file stem), provenance and script.

    script is what detection found in the article (or the user forced); source_language is the
    code CAT tools read (zh-TW for traditional, zh-CN otherwise).
    """

    name: str
    segments: list[Segment]
    provenance: Provenance
    source_language: str = "zh-CN"
    target_language: str = "en"
    original: str = ""  # the source article's file name
    script: Script = Script.HANS
    # The article's images by block index, read from the source article when publishing (never
    # written to the segment file); empty when there are none or the article is not at hand.
    pictures: dict[int, Picture] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The Chinese title (its first title block; a later one is its subtitle), or the document
        name when the article has no title block."""
        return "".join(s.source for s in self._title_segments()) or self.name

    @property
    def english_title(self) -> str:
        """The English of the title's first block, or '' when it is not translated yet."""
        return " ".join(s.target for s in self._title_segments() if s.target)

    def _title_segments(self) -> list[Segment]:
        first = next((s.block for s in self.segments if s.role is Role.TITLE), None)
        return [s for s in self.segments if s.role is Role.TITLE and s.block == first]

    def blocks(self) -> list[list[Segment]]:
        """Segments grouped by block, in document order; never an empty group."""
        groups: dict[int, list[Segment]] = {}
        for segment in self.segments:
            groups.setdefault(segment.block, []).append(segment)
        return [groups[k] for k in sorted(groups)]

    def signature(self) -> Signature:
        """One signature over the segments that have English: shared machine settings, and how many
        segments each origin made (those with English but no signature count as unknown)."""
        return document_signature(s.signature for s in self.segments if s.target.strip())

    def unapproved(self) -> list[Segment]:
        """Segments that are not approved yet; empty means the document may be published as final."""
        return [s for s in self.segments if s.state is not ReviewState.APPROVED]


@dataclass
class Pack:
    """Several documents bound as one publication (an investor pack): cover facts and the articles in order."""

    title: str
    documents: list[Document]
    subtitle: str = ""
    organisation: str = ""
    date: str = ""  # as printed on the cover, e.g. "2026-12-01"

    def unapproved(self) -> list[Segment]:
        """Segments not approved in any document; one is enough to make the whole pack a draft."""
        return [s for d in self.documents for s in d.unapproved()]
