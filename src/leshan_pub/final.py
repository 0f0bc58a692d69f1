"""The final gate: the one place that decides whether build, publish or pack may publish as final."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .document import Document
from .errors import LeshanPubError, PublishError

if TYPE_CHECKING:
    from .glossary import Glossary
    from .glossary_in_use import GlossaryInUse


def final_gate(documents: Sequence[Document], in_use: GlossaryInUse, segment_files: Sequence[Path] = ()) -> None:
    """Raise PublishError (nothing is written) unless the documents may be published as final.

    Final means: the glossary's terms are enforced (or --no-glossary said they need not be), each
    document's article (beside its segment file, in segment_files, given in the documents' order)
    still segments into its segments, every segment of every document is approved, and QA finds no
    error in any of them. With no documents only the glossary is judged: build asks that much before
    it translates anything. The first reason is raised, in that order (unapproved work is the usual
    one, and says where).
    """
    for rule in _rules(documents, in_use, segment_files):
        rule()


def final_blockers(documents: Sequence[Document], in_use: GlossaryInUse, segment_files: Sequence[Path] = ()) -> list[str]:
    """Every reason the final gate would give, one line each ([] when the documents may go out as final)."""
    reasons = []
    for rule in _rules(documents, in_use, segment_files):
        try:
            rule()
        except PublishError as exc:
            reasons.append(str(exc))
    return reasons


def _rules(documents: Sequence[Document], in_use: GlossaryInUse, segment_files: Sequence[Path]) -> list[Callable[[], None]]:
    rules: list[Callable[[], None]] = [lambda: require_terms_enforced(in_use)]
    rules += [functools.partial(require_current, document, segfile) for document, segfile in zip(documents, segment_files)]
    if len(documents) == 1:
        rules.append(lambda: require_approved(documents[0]))
    elif documents:
        rules.append(lambda: require_pack_approved(documents))
    rules += [functools.partial(require_clean_check, document, in_use.glossary) for document in documents]
    return rules


def require_terms_enforced(in_use: GlossaryInUse) -> None:
    """PublishError when terms would go out not enforced, unless that is on purpose (--no-glossary)."""
    if in_use.warning and not in_use.intended:
        raise PublishError(f"--final: {in_use.warning.removeprefix('no glossary: ')}; "
                           "pass --no-glossary to publish without one on purpose")


def require_current(document: Document, segfile: Path) -> None:
    """PublishError when the article beside segfile was edited after it was segmented: approved English
    of the old sentences (old figures) must not go out as final."""
    article = stale_article(segfile, document)
    if article is not None:
        raise PublishError(f"--final: {stale_message(article, segfile)}")


def require_approved(document: Document) -> None:
    """PublishError naming the segments of document that are not approved; nothing when all are."""
    pending = document.unapproved()
    if pending:
        ids = ", ".join(s.id for s in pending[:10]) + (f" and {len(pending) - 10} more" if len(pending) > 10 else "")
        raise PublishError(
            f"--final: {len(pending)} segment(s) of {document.name} are not approved ({ids}); "
            "approve them in the segment file or publish without --final"
        )


def require_pack_approved(documents: Sequence[Document]) -> None:
    """PublishError naming each article with segments not approved; nothing when all are."""
    pending = [(d.name, len(d.unapproved())) for d in documents if d.unapproved()]
    if pending:
        listed = ", ".join(f"{name} ({count})" for name, count in pending)
        raise PublishError(
            f"--final: {sum(c for _, c in pending)} segment(s) of the pack are not approved, in {listed}; "
            "approve them in each article's segment file or build the pack without --final"
        )


def require_clean_check(document: Document, glossary: Glossary | None) -> None:
    """Raise PublishError when QA finds any error: a final document must have every figure and term right."""
    from .quality.qa import Severity, check_document

    errors = [f for f in check_document(document, glossary) if f.severity is Severity.ERROR]
    if errors:
        shown = "; ".join(f"{f.segment_id} [{f.check}]" for f in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise PublishError(
            f"--final: QA finds {len(errors)} error(s) in {document.name} ({shown}{more}); "
            f"run `leshan-pub check` and fix them first"
        )


def stale_article(segfile: Path, document: Document) -> Path | None:
    """The article beside segfile (document.original) when it no longer segments into document's
    segments (the same ids and sources, in order): it was edited after the segment file was made, and
    the file's English may carry outdated figures. None when it still does, when there is no article
    beside the file (a missing article is not stale) or when it cannot be read. Segmenting needs no model."""
    from .inputs import read_source
    from .segment import segment_blocks

    article = segfile.parent / document.original if document.original else None
    if article is None or not article.is_file():
        return None
    try:
        fresh = segment_blocks(read_source(article).blocks)
    except LeshanPubError:  # unreadable now: the command that reads it says so
        return None
    if [(s.id, s.source) for s in fresh] == [(s.id, s.source) for s in document.segments]:
        return None
    return article


def stale_message(article: Path, segfile: Path) -> str:
    """One line: the article changed after its segment file was made, and what to run."""
    return (f"{article} has changed since {segfile.name} was made, so its segments (and their English) are out of "
            f"date; run `leshan-pub segment {article}` (or build) first")
