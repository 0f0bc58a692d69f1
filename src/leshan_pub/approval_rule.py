"""The rule of approving, one for `approve`, an import and the review page: who approves, and why a segment may not be."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

from .document import Document, ReviewState, Segment
from .errors import LeshanPubError
from .terms import Glossary
from .memory import translator_name


def approver(by: str | None) -> str:
    """Who approves: --by, else $LESHAN_PUB_TRANSLATOR, else git's user.name, else the login name."""
    if by is not None and by.strip():
        return by.strip()
    if by is not None:
        raise LeshanPubError("--by is empty; give the approver's name, e.g. --by 'Li Wei'")
    try:
        return translator_name() or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        raise LeshanPubError("cannot tell who approves; pass --by NAME or set LESHAN_PUB_TRANSLATOR") from None


def approval_time() -> str:
    """Now, UTC, as Approval records it ('2026-12-06T21:50:00Z')."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def qa_errors(document: Document, glossary: Glossary | None) -> dict[str, list[str]]:
    """QA's error-level findings by segment id, each as '[check] message'; the one reading of QA that
    approving (here and on the review page) refuses on."""
    from .quality.qa import Severity, check_document

    errors: dict[str, list[str]] = {}
    for finding in check_document(document, glossary):
        if finding.severity is Severity.ERROR:
            errors.setdefault(finding.segment_id, []).append(f"[{finding.check}] {finding.message}")
    return errors


def refusal(segment: Segment, errors: dict[str, list[str]], include_drafts: bool, ignore_qa: bool) -> str:
    """Why segment cannot be approved, in words; '' when it can (errors as qa_errors gives them)."""
    if not segment.target.strip():
        return "it has no English yet; translate it first"
    if segment.state is ReviewState.MACHINE and not include_drafts:
        kind = "a memory draft" if segment.is_fuzzy_draft else "machine output"
        return f"its English is {kind} nobody has reviewed; review it, or pass --include-drafts"
    if segment.id in errors and not ignore_qa:
        return f"QA finds {'; '.join(errors[segment.id])}; fix it, or pass --ignore-qa"
    return ""
