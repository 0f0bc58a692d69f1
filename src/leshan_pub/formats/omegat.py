"""OmegaT projects: a document exported as a project a translator opens in OmegaT, and what OmegaT writes back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..document import Document, ReviewState
from ..errors import SegmentFileError
from ..memory import TranslationMemory, render_tmx
from ..terms import Glossary
from .segfile import render_xliff
from .tmx_entries import MemoryEntry, now_stamp
from .xliff import LP_NS, XLIFF_NS

PROJECT_FILE = "omegat.project"
_X = f"{{{XLIFF_NS}}}"
_BASE = f"{{{LP_NS}}}base"
_FOLDERS = ("source", "target", "tm", "tm/auto", "tm/mt", "glossary", "omegat", "dictionary")
# OmegaT 3.6's project file: one trans-unit is one segment (no sentence splitting of our segments),
# Chinese and English tokenizers from OmegaT itself.
_PROJECT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>ZH-CN</source_lang>
    <target_lang>EN-GB</target_lang>
    <source_tok>org.omegat.tokenizer.LuceneSmartChineseTokenizer</source_tok>
    <target_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</target_tok>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""


@dataclass
class OmegatProject:
    """The files an OmegaT export wrote, and how many segments each memory holds."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    human: int = 0  # reviewed/approved English in tm/auto (OmegaT inserts it)
    drafts: int = 0  # machine and fuzzy-match drafts in tm/mt (OmegaT offers them)
    memory: int = 0  # the project's translation memory in tm/ (offered as matches)


def source_file(folder: Path, document: str) -> Path:
    """The XLIFF OmegaT translates: source/<document>.xlf."""
    return folder / "source" / f"{document}.xlf"


def target_file(folder: Path, document: str) -> Path:
    """The XLIFF OmegaT writes when it creates translated documents: target/<document>.xlf."""
    return folder / "target" / f"{document}.xlf"


def is_project(folder: Path) -> bool:
    """True when folder is an OmegaT project (it holds omegat.project)."""
    return folder.is_dir() and (folder / PROJECT_FILE).is_file()


def export_project(
    document: Document,
    folder: Path,
    glossary: Glossary | None = None,
    memory: TranslationMemory | None = None,
    force: bool = False,
) -> OmegatProject:
    """Write an OmegaT project for document into folder (new or empty, or an earlier export with force).

    OmegaT's XLIFF filter translates the text of <target>, so source/ holds the XLIFF with each
    target a copy of the Chinese (ids, groups and each unit's base fingerprint kept, so the file
    OmegaT writes imports back). Our English travels as TMX keyed on the Chinese: reviewed and
    approved English in tm/auto/ (OmegaT inserts it), machine and fuzzy-match drafts in tm/mt/
    (offered, never inserted), the project memory in tm/, the glossary as TBX in glossary/.
    """
    from .rows import fingerprint
    from .termbase import export_tbx

    if folder.exists() and not folder.is_dir():
        raise SegmentFileError(f"{folder} is a file; give a folder for the OmegaT project")
    if folder.is_dir() and any(folder.iterdir()) and not (is_project(folder) and force):
        advice = "add --force to replace the earlier export" if is_project(folder) else "give a new or empty folder"
        raise SegmentFileError(f"{folder} is not empty; {advice}")
    project = OmegatProject(folder)
    for name in _FOLDERS:
        (folder / name).mkdir(parents=True, exist_ok=True)

    root = ET.fromstring(render_xliff(document))  # our own XML, just rendered
    by_id = {segment.id: segment for segment in document.segments}
    for unit in root.iter(f"{_X}trans-unit"):
        segment = by_id[unit.get("id", "")]
        unit.set(_BASE, fingerprint(segment.state, segment.target))
        unit.attrib.pop("approved", None)
        for child in list(unit):
            if child.tag in (f"{_X}note", f"{_X}alt-trans"):
                unit.remove(child)  # OmegaT would offer their text for translation
        target = unit.find(f"{_X}target")
        if target is not None:
            target.attrib.clear()
            target.set("state", "new")
        for element, text in ((unit.find(f"{_X}source"), segment.source), (target, segment.source)):
            if element is not None:
                # Plain text: emphasis tags (<g>) would be indented into and the copy must equal the source.
                for child in list(element):
                    element.remove(child)
                element.text = text
    ET.indent(root, space="  ")
    xliff = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"

    stamp = now_stamp()
    entries = [
        MemoryEntry(s.id, s.source, s.target, s.state, document=document.name, created=stamp, changed=stamp)
        for s in document.segments if s.target.strip() and s.state is not ReviewState.NEW
    ]
    human = [e for e in entries if e.state.is_human]
    drafts = [e for e in entries if not e.state.is_human]
    writes: list[tuple[Path, bytes]] = [
        (folder / PROJECT_FILE, _PROJECT.encode()),
        (source_file(folder, document.name), xliff),
        (folder / "tm" / "auto" / f"{document.name}-reviewed.tmx", render_tmx(human)),
        (folder / "tm" / "mt" / f"{document.name}-drafts.tmx", render_tmx(drafts)),
    ]
    if memory is not None and len(memory):
        writes.append((folder / "tm" / "memory.tmx", render_tmx(memory)))
    if glossary is not None and len(glossary):
        writes.append((folder / "glossary" / "glossary.tbx", export_tbx(glossary)))
    for path, data in writes:
        write_bytes_atomic(path, data)
        project.files.append(path)
    project.human, project.drafts, project.memory = len(human), len(drafts), len(memory) if memory else 0
    return project
