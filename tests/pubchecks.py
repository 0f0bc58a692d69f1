"""Checks of published files made apart from the code under test: fonts embedded, lost characters, line breaks, terms.

They read the PDF with PyMuPDF and pdfplumber and the DOCX with python-docx, as a reader's tools
would, and share nothing with leshan_pub's writers or its QA: the line-break rule sets and the term
matcher are written out here, so a writer's mistake cannot hide behind its own rules.
"""

from __future__ import annotations

import collections
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# Characters a line may not start with, and may not end with (GB/T 15834 and the Latin equivalents).
NO_LINE_START = frozenset("，。、；：？！）》」』”’…—％,.;:?!)")
NO_LINE_END = frozenset("（《「『“‘(")


def characters(text: str) -> collections.Counter[str]:
    """The characters of text that a reader sees, NFKC-folded (a PDF writes ¹⁷⁷ as 177), without white space."""
    return collections.Counter(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())


@dataclass
class PdfFindings:
    """What a PDF fails: fonts not embedded, source characters missing from its text, line-break rule breaches."""

    pages: int
    unembedded: set[str] = field(default_factory=set)
    lost: str = ""
    breaks: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.unembedded or self.lost or self.breaks)


def pdf_findings(pdf: Path, source: str) -> PdfFindings:
    """Every font embedded, every source character in the text layer, and the line-break rules in the Chinese column."""
    import pdfplumber
    import pymupdf

    with pymupdf.open(pdf) as document:
        unembedded = {
            font[3] for page in document for font in page.get_fonts(full=True)
            if font[1] == "n/a" or not document.extract_font(font[0])[3]
        }
        text = "".join(page.get_text() for page in document)
        findings = PdfFindings(len(document), unembedded)
    findings.lost = "".join(sorted((characters(source) - characters(text)).elements()))
    with pdfplumber.open(pdf) as plumbed:
        for page in plumbed.pages:
            lines: dict[int, list[dict]] = collections.defaultdict(list)
            for char in page.chars:
                if char["x0"] < page.width / 2 and not char["text"].isspace():  # the Chinese column
                    lines[round(char["top"])].append(char)
            for chars in lines.values():
                chars.sort(key=lambda c: c["x0"])
                first, last = chars[0]["text"], chars[-1]["text"]
                if first in NO_LINE_START:
                    findings.breaks.append(f"page {page.page_number}: a line starts with {first!r}")
                if last in NO_LINE_END:
                    findings.breaks.append(f"page {page.page_number}: a line ends with {last!r}")
    return findings


def docx_rows(docx_path: Path) -> list[tuple[str, str]]:
    """(Chinese, English) of every side-by-side table row of a DOCX: its first and last cell."""
    import docx

    pairs = []
    for table in docx.Document(str(docx_path)).tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and any(cells):
                pairs.append((cells[0], cells[-1]))
    return pairs


def docx_lost_source(docx_path: Path, source: str) -> tuple[str, int]:
    """(source characters missing from the DOCX's paragraphs and left column, rows with Chinese but no English)."""
    import docx

    pairs = docx_rows(docx_path)
    shown = "".join(p.text for p in docx.Document(str(docx_path)).paragraphs) + "".join(zh for zh, _ in pairs)
    lost = "".join(sorted((characters(source) - characters(shown)).elements()))
    return lost, sum(1 for zh, en in pairs if zh and not en)


def has_term(text: str, term: str) -> bool:
    """term in text as whole words, itself or regularly inflected: 'batteries' meets 'battery', 'Leshan's'
    meets 'Leshan'; 'Leshanese' meets nothing."""
    forms = {term, term + "s", term + "es", term + "'s", term + "s'", term + "’s"}
    if len(term) > 1 and term[-1] in "yY" and term[-2].lower() not in "aeiou":
        forms.add(term[:-1] + "ies")
    left = r"(?<![A-Za-z0-9])" if term[:1].isalnum() else ""
    right = r"(?![A-Za-z0-9])" if term[-1:].isalnum() else ""
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.search(f"{left}(?:{alternatives}){right}", text, re.IGNORECASE) is not None


def longest_hits(text: str, sources: list[str]) -> list[str]:
    """The glossary sources found in text, leftmost-longest and not overlapping."""
    hits, i = [], 0
    ordered = sorted(sources, key=len, reverse=True)
    while i < len(text):
        hit = next((s for s in ordered if s and text.startswith(s, i)), None)
        hits.append(hit) if hit else None
        i += len(hit) if hit else 1
    return hits


def docx_term_success(entries: list[dict], docx_path: Path) -> tuple[int, int, list[str]]:
    """(rendered, found, misses) of glossary entries ({source, target, target_variants}) over a DOCX's rows:
    each source found in a row's Chinese must have its target or a variant, as whole words, in its English."""
    accepted = {e["source"]: [e["target"], *e.get("target_variants", [])] for e in entries if e.get("target")}
    rendered = found = 0
    misses = []
    for zh, en in docx_rows(docx_path):
        for source in longest_hits(zh, list(accepted)):
            found += 1
            if any(has_term(en, t) for t in accepted[source]):
                rendered += 1
            else:
                misses.append(f"{source} -> {accepted[source][0]!r} missing in {en[:60]!r}")
    return rendered, found, misses
