"""Publishing: the registry of output formats and `publish`, which writes them all or none."""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..atomic import write_files_atomic
from ..document import Document, Pack, Segment
from ..emphasis import Marked, join, strip
from ..errors import PublishError
from ..final import require_approved, require_pack_approved
from ..paper import DEFAULT_PAGE_SIZE, PAGE_SIZES
from ..provenance import glossary_tag, public_model_name
from ..rules import load_rules
from ..script import Script
from ..terms import Glossary, Term

# name -> "module:function"; a writer is imported only when its format is asked for, so
# importing this package never imports python-docx or reportlab.
FORMATS: dict[str, str] = {
    "docx": "leshan_pub.publish.docx:write_docx",
    "pdf": "leshan_pub.publish.pdf:write_pdf",
}
# The same formats for a pack of several articles.
PACK_FORMATS: dict[str, str] = {
    "docx": "leshan_pub.publish.pack_docx:write_pack_docx",
    "pdf": "leshan_pub.publish.pack_pdf:write_pack_pdf",
}
LAYOUTS = ("side-by-side", "interleaved")
UNTRANSLATED = "[not yet translated]"


@dataclass(frozen=True)
class PublishOptions:
    """How to publish: final (refuse unapproved segments), page size, layout, and a user's font."""

    final: bool = False  # refuse (PublishError naming the segment ids) when any segment is not approved
    page_size: str = DEFAULT_PAGE_SIZE  # a name in paper.PAGE_SIZES
    layout: str = "side-by-side"  # | "interleaved"
    font: Path | None = None  # a user's own TrueType CJK font


Writer = Callable[[Document, "Glossary | None", Path, PublishOptions], None]


def format_names() -> tuple[str, ...]:
    """The output formats publish accepts, in registry order."""
    return tuple(FORMATS)


def publish(
    document: Document,
    glossary: Glossary | None,
    out_dir: Path,
    formats: Sequence[str] = ("docx", "pdf"),
    options: PublishOptions = PublishOptions(),
) -> list[Path]:
    """Write out_dir/<document.name>.<format> for each format; return the paths written.

    Every file is written to a temporary file in out_dir first; only when all formats have
    succeeded are they renamed into place, so a failure leaves earlier outputs untouched.
    """
    writers = _writers(formats)
    _check_options(options)
    targets = [_target(out_dir, document.name, name) for name in writers]
    if options.final:  # the final gate's rule, kept here too for callers of the library that go straight here
        require_approved(document)
    calls = [functools.partial(writer, document, glossary) for writer in writers.values()]
    return _write_all(out_dir, targets, calls, options)


def publish_pack(
    pack: Pack,
    glossary: Glossary | None,
    out: Path,
    formats: Sequence[str] = ("docx", "pdf"),
    options: PublishOptions = PublishOptions(),
) -> list[Path]:
    """Write the pack as out with each format's suffix (pack.pdf, pack.docx); return the paths written.

    With options.final, PublishError when any segment of any article is not approved. All
    formats or none are written, as for publish.
    """
    writers = _writers(formats, PACK_FORMATS)
    _check_options(options)
    if options.final:
        require_pack_approved(pack.documents)
    targets = [_target(out.parent, out.stem if out.suffix in (".pdf", ".docx") else out.name, name) for name in writers]
    calls = [functools.partial(writer, pack, glossary) for writer in writers.values()]
    return _write_all(out.parent, targets, calls, options)


def _write_all(
    out_dir: Path, targets: list[Path], calls: list[Callable[[Path, PublishOptions], None]], options: PublishOptions
) -> list[Path]:
    """Run each call on a temporary file beside its target; rename them all into place once all succeeded."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_files_atomic(targets, [_with_options(call, options) for call in calls])
    return targets


def _with_options(call: Callable[[Path, PublishOptions], None], options: PublishOptions) -> Callable[[Path], None]:
    return lambda path: call(path, options)


def _writers(formats: Sequence[str], registry: dict[str, str] = FORMATS) -> dict[str, Writer]:
    """The writer of each asked-for format, in order and without repeats; PublishError for unknown names."""
    if isinstance(formats, str):
        formats = (formats,)
    unknown = [f for f in formats if f not in registry]
    if unknown or not formats:
        raise PublishError(
            f"unknown output format {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(format_names())}"
        )
    writers: dict[str, Writer] = {}
    for name in formats:
        module, _, function = registry[name].partition(":")
        writers.setdefault(name, getattr(importlib.import_module(module), function))
    return writers


def _check_options(options: PublishOptions) -> None:
    if options.page_size not in PAGE_SIZES:
        raise PublishError(f"page size {options.page_size!r} is not known; choose from {', '.join(PAGE_SIZES)}")
    if options.layout not in LAYOUTS:
        raise PublishError(f"layout {options.layout!r} is not known; choose from {', '.join(LAYOUTS)}")


def _target(out_dir: Path, stem: str, suffix: str) -> Path:
    """out_dir/stem.suffix; PublishError when stem is not a plain file name that stays in out_dir."""
    plain = stem and stem not in (".", "..") and not any(c in stem for c in "/\\\0:") and not stem.startswith(".")
    target = out_dir / f"{stem}.{suffix}"
    if not plain or target.resolve().parent != out_dir.resolve():
        raise PublishError(f"document name {stem!r} is not a plain file name; use letters, digits, '-' or '_'")
    return target


# --- what both writers print -------------------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    """The Chinese the tool prints on pages, in one script (data/labels.toml)."""

    edition: str  # under the title: 中英对照版 / 中英對照版
    glossary: str  # heading of the glossary appendix: 术语表 / 術語表
    column: str  # the DOCX table's Chinese column head

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.edition, self.glossary, self.column)


def page_labels(script: Script, can_draw: Callable[[str], bool] = lambda _: True) -> Labels:
    """The labels in the article's script (simplified for a mixed one).

    When the font cannot draw them (a user's traditional font on a simplified article) but can
    draw the other script's, those: the tool's own words never stop a publish.
    """
    table = load_rules("labels")
    first = Script.HANT if script is Script.HANT else Script.HANS
    other = Script.HANS if first is Script.HANT else Script.HANT
    chosen = Labels(**table[first.value])
    if not can_draw("".join(chosen.texts)):
        alternative = Labels(**table[other.value])
        if can_draw("".join(alternative.texts)):
            return alternative
    return chosen


# A list item that carries its own number or letter ("1.", "2)", "（一）", "③"): it gets no bullet.
_ITEM_MARKER = re.compile(
    r"^\s*(?:[(（][0-9０-９a-zA-Z一二三四五六七八九十]{1,3}[)）]|[0-9０-９]{1,3}[.．、)）](?![0-9０-９])|[a-zA-Z][.)]\s"
    r"|[一二三四五六七八九十]{1,3}、|[\u2460-\u2473\u2474-\u249b])"
)


def numbered_item(text: str) -> bool:
    """True when a list item's text begins with its own number or letter, so it needs no bullet."""
    return bool(_ITEM_MARKER.match(text))


def block_text(block: Sequence[Segment]) -> tuple[str, str]:
    """A block's Chinese (segments joined with "") and English (joined with " "; "" when none)."""
    return "".join(s.source for s in block), " ".join(s.target.strip() for s in block if s.target.strip())


def block_marked(block: Sequence[Segment]) -> tuple[Marked, Marked]:
    """block_text with each side's emphasis marks moved to where its segments land."""
    zh = join([(s.source, s.source_marks) for s in block])
    english = [strip(s.target, s.target_marks) for s in block if s.target.strip()]
    return zh, join(english, " ")


def terms_used(document: Document | Sequence[Document], glossary: Glossary | None) -> list[Term]:
    """Glossary terms found in the documents' Chinese, in order of first use; [] without a glossary.

    Given several documents (a pack), each term appears once however many of them use it. Each
    term's source is as the article first writes it (樂山 in a traditional article whose glossary
    has 乐山), so the appendix speaks the article's script.
    """
    if glossary is None:
        return []
    documents = [document] if isinstance(document, Document) else list(document)
    found: dict[str, Term] = {}
    for segment in (s for d in documents for s in d.segments):
        for hit in glossary.find(segment.source):
            if hit.term.source not in found:
                written = segment.source[hit.start : hit.end]
                found[hit.term.source] = hit.term if written == hit.term.source else replace(hit.term, source=written)
    return list(found.values())


def review_notice(document: Document) -> str:
    """'DRAFT — N segments await review', or '' when every segment is approved."""
    return pending_notice(len(document.unapproved()))


def pending_notice(pending: int) -> str:
    """'DRAFT — N segments await review' for N pending segments, or '' for none."""
    if not pending:
        return ""
    return f"DRAFT — {pending} segment{'s' if pending != 1 else ''} await{'s' if pending == 1 else ''} review"


def provenance_text(document: Document, glossary: Glossary | None, short_hashes: bool = False) -> str:
    """The document's provenance on one line, for metadata: its signature (provenance.Signature: how
    the English was made, per origin), the segmenter, the glossary published with, and review status.

    short_hashes keeps 12 hex digits of the model revision, for fields limited to 255 characters.
    No path of the user's machine appears: models are named as provenance.public_model_name does.
    """
    parts = [f"leshan-pub {document.provenance.tool_version or __version__}"]
    parts.append(f"signature {document.signature().format(short_revision=short_hashes)}")
    if document.provenance.segmenter_version:
        parts.append(f"segmenter {document.provenance.segmenter_version}")
    if glossary is not None:
        parts.append(f"glossary {glossary_tag(glossary.sha256)}")
    total, pending = len(document.segments), len(document.unapproved())
    parts.append(
        f"review draft, {pending} of {total} segments await review" if pending else f"review final, {total} segments approved"
    )
    return "; ".join(parts)


def pack_provenance_text(pack: Pack, glossary: Glossary | None) -> str:
    """Tool, glossary hash, each article with its model, and the pack's review status on one line."""
    parts = [f"leshan-pub tool-version={__version__}"]
    if glossary is not None:
        parts.append(f"glossary-sha256={glossary.sha256[:16]}")
    for document in pack.documents:
        model = public_model_name(document.provenance.model) or "none"
        parts.append(f"article={document.name} (model={model}, {len(document.unapproved())} pending)")
    total, pending = sum(len(d.segments) for d in pack.documents), len(pack.unapproved())
    parts.append(f"review=draft, {pending} of {total} segments await review" if pending else f"review=final, {total} segments approved")
    return "; ".join(parts)
