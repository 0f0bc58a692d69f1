"""The final gate: the one place that decides whether build, publish or pack may publish as final."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .document import Document
from .errors import PublishError

if TYPE_CHECKING:
    from .glossary import Glossary
    from .pipeline import GlossaryInUse


def final_gate(documents: Sequence[Document], in_use: GlossaryInUse) -> None:
    """Raise PublishError (nothing is written) unless the documents may be published as final.

    Final means: the glossary's terms are enforced (or --no-glossary said they need not be), every
    segment of every document is approved, and QA finds no error in any of them. With no documents
    only the glossary is judged: build asks that much before it translates anything. The first
    reason is raised, in that order (unapproved work is the usual one, and says where).
    """
    for rule in _rules(documents, in_use):
        rule()


def final_blockers(documents: Sequence[Document], in_use: GlossaryInUse) -> list[str]:
    """Every reason the final gate would give, one line each ([] when the documents may go out as final)."""
    reasons = []
    for rule in _rules(documents, in_use):
        try:
            rule()
        except PublishError as exc:
            reasons.append(str(exc))
    return reasons


def _rules(documents: Sequence[Document], in_use: GlossaryInUse) -> list[Callable[[], None]]:
    rules: list[Callable[[], None]] = [lambda: require_terms_enforced(in_use)]
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
