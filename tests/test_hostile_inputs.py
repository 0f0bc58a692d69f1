"""Bad, broken and hostile inputs through the real CLI: one line, a non-zero exit, no traceback, nothing damaged."""

from __future__ import annotations

import codecs
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import SAMPLE, SAMPLE_SEGFILE
from leshan_pub.cli import app
from leshan_pub.formats.exchange import ExportFormat, export_document
from leshan_pub.formats.segfile import read_segment_file
from test_read import TRADITIONAL

runner = CliRunner()
ENCODING_HINT = "--encoding utf-8|gb18030|big5|utf-16"
# click's usage error for an argument declared dir_okay=False: a boxed, several-line message, exit 2.


@dataclass
class Case:
    """One bad input: how to lay it out in a folder, the command to run on it, and what must come back."""

    id: str
    make: Callable[[Path], list[str]]  # writes the files into the folder; returns the CLI arguments
    exit_code: int
    message: str  # a regular expression the stderr line must match ("" for a run that works)
    marks: tuple = ()


# --- the files --------------------------------------------------------------------------------------


def article(tmp: Path, data: bytes, name: str = "bad.zh.txt") -> Path:
    """An article with the sample's segment file beside it, which a failed run must leave as it was."""
    path = tmp / name
    path.write_bytes(data)
    shutil.copyfile(SAMPLE_SEGFILE, tmp / name.replace(".zh.txt", ".zh-en.xlf"))
    return path


def segment_article(data: bytes, *options: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["segment", str(article(tmp, data)), *options]


def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def five_mb_article() -> bytes:
    """A 5 MB article: the sample's paragraphs, numbered so that each repeat is a new sentence."""
    paragraphs = [p for p in sample_text().split("\n") if len(p) > 40]
    out, size, n = [], 0, 0
    while size < 5 * 1024 * 1024:
        line = f"第{n}段：{paragraphs[n % len(paragraphs)]}\n\n"
        out.append(line)
        size += len(line.encode())
        n += 1
    return (sample_text() + "\n" + "".join(out)).encode()


def big_sparse(tmp: Path, name: str, size: int) -> Path:
    path = tmp / name
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


SAMPLE_XLIFF = SAMPLE_SEGFILE.read_bytes() if SAMPLE_SEGFILE.exists() else b""
UNIT = (
    b'<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2"><file original="x.zh.txt" '
    b'source-language="zh-CN" target-language="en" datatype="plaintext"><body><group id="b0000" '
    b'restype="x-paragraph"><trans-unit id="s1"><source>%s</source></trans-unit></group></body></file></xliff>'
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY a "haha">'
    + b"".join(b'<!ENTITY %c "%s">' % (c, b"".join(b"&%c;" % (c - 1) for _ in range(10))) for c in range(ord("b"), ord("k")))
    + b"]>\n"
    + UNIT % b"&j;"
)
EXTERNAL_ENTITY = b'<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n' + UNIT % b"&x;"
# A DTD named by URL is never fetched (as in TMX and TBX), so the entity it would define is undefined.
NETWORK_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE xliff SYSTEM "http://127.0.0.1:9/xliff.dtd">\n' + UNIT % b"&ext;"
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>\n' + UNIT % b"x"
)
DEEP = b'<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">' + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</xliff>"
HOSTILE_XLIFF: list[tuple[str, bytes, str]] = [
    ("truncated", SAMPLE_XLIFF[: len(SAMPLE_XLIFF) // 2], r"line \d+ column \d+: not well-formed XML"),
    ("malformed", SAMPLE_XLIFF.replace(b"</source>", b"</sauce>", 1), r"line \d+ column \d+: not well-formed XML"),
    ("billion-laughs", BILLION_LAUGHS, r"refused unsafe XML \(EntitiesForbidden\); delete the entity declarations"),
    ("external-entity", EXTERNAL_ENTITY, r"refused unsafe XML \(EntitiesForbidden\)"),
    ("network-dtd", NETWORK_DTD, r"not well-formed XML \(undefined entity &ext;\); write a literal & as &amp;"),
    ("parameter-entity", PARAMETER_ENTITY, r"refused unsafe XML \(EntitiesForbidden\)"),
    ("not-xliff", b"<html><body>hello</body></html>", r"root element is 'html'"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", r"not well-formed XML"),
    ("empty", b"", r"is empty"),
    ("deeply-nested", DEEP, r"no <file> element|no <trans-unit>"),
]
# import reads CAT-tool XLIFF generously (1.x, units anywhere), so its messages differ for the last two.
IMPORT_MESSAGES = {"not-xliff": r"root element is 'html', not XLIFF 1\.x", "empty": r"is empty; nothing to import"}


def segfile_case(command: str, data: bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        shutil.copyfile(SAMPLE, tmp / "a.zh.txt")
        shutil.copyfile(SAMPLE_SEGFILE, tmp / "a.zh-en.xlf")
        bad = tmp / "bad.zh-en.xlf"
        bad.write_bytes(data)
        if command == "import":
            imported = tmp / "bad.xlf"
            imported.write_bytes(data)
            return ["import", str(imported), str(tmp / "a.zh.txt")]
        if command == "publish":
            return ["publish", str(bad), "--out", str(tmp / "out"), "--format", "docx"]
        return [command, str(bad)]

    return make


def csv_import(edit: Callable[[str], bytes]) -> Callable[[Path], list[str]]:
    """import of the sample's CSV export after edit (which gets the CSV text and returns the file's bytes)."""

    def make(tmp: Path) -> list[str]:
        shutil.copyfile(SAMPLE, tmp / "a.zh.txt")
        shutil.copyfile(SAMPLE_SEGFILE, tmp / "a.zh-en.xlf")
        exported = export_document(read_segment_file(SAMPLE_SEGFILE), ExportFormat.CSV).decode("utf-8-sig")
        path = tmp / "edited.csv"
        path.write_bytes(edit(exported))
        return ["import", str(path), str(tmp / "a.zh.txt")]

    return make


def _second_row(text: str) -> list[str]:
    return text.split("\r\n")[1].split('","')


def _extra_cell(text: str) -> bytes:
    rows = text.split("\r\n")
    rows[1] += ',"extra"'
    return "\r\n".join(rows).encode()


def _other_document(text: str) -> bytes:
    """Another article's export: other ids, other sentences (ids alone could be a tool's renumbering)."""
    rows = text.split("\r\n")
    changed = [re.sub(r'^"s([0-9a-f]{10})","([^"]*)","([^"]*)","', r'"x\1","\2","\3","另', row) for row in rows[1:]]
    return "\r\n".join([rows[0], *changed]).encode()


def folder_article(tmp: Path) -> list[str]:
    folder = tmp / "folder.zh.txt"
    folder.mkdir()
    return ["segment", str(folder)]


def folder_segfile(tmp: Path) -> list[str]:
    folder = tmp / "dir.zh-en.xlf"
    folder.mkdir()
    return ["publish", str(folder)]


def glossary_case(data: bytes | None, suffix: str = ".tsv") -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        glossary = tmp / f"bad-glossary{suffix}"
        if data is None:
            glossary.mkdir()
        else:
            glossary.write_bytes(data)
        return ["segment", str(article(tmp, SAMPLE.read_bytes(), "a.zh.txt")), "--glossary", str(glossary)]

    return make


TBX = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<martif type="TBX-Basic" xml:lang="en"><text><body>'
    '<termEntry id="t1"><langSet xml:lang="zh"><tig><term>链主企业</term></tig></langSet>'
    '<langSet xml:lang="en"><tig><term>chain-leader enterprise</term></tig></langSet></termEntry>'
    "</body></text></martif>\n"
).encode()
TBX_DTD = b'<?xml version="1.0"?>\n<!DOCTYPE martif [%s]>\n'
HOSTILE_TBX: list[tuple[str, bytes, str]] = [
    ("truncated", TBX[: len(TBX) // 2], r"bad\.tbx line \d+ column \d+: not well-formed XML"),
    ("billion-laughs", BILLION_LAUGHS.replace(b"xliff", b"martif"), r"bad\.tbx: refused unsafe XML"),
    ("external-entity", TBX_DTD % b'<!ENTITY x SYSTEM "file:///etc/passwd">' + TBX.replace(b"chain-leader enterprise", b"&x;").split(b"\n", 1)[1], r"bad\.tbx: refused unsafe XML"),
    ("parameter-entity", TBX_DTD % b'<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;' + TBX.split(b"\n", 1)[1], r"bad\.tbx: refused unsafe XML"),
    ("not-tbx", b"<html><body>hello</body></html>", r"bad\.tbx: root element <html> is not TBX"),
]


def tbx_import(data: bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        glossary = tmp / "g.tsv"
        glossary.write_text("source\ttarget\n多晶硅\tpolysilicon\n", encoding="utf-8")
        bad = tmp / "bad.tbx"
        bad.write_bytes(data)
        return ["glossary", "import", str(bad), "--glossary", str(glossary)]

    return make


def hostile_name(tmp: Path) -> list[str]:
    shutil.copyfile(SAMPLE, tmp / "a.zh.txt")
    shutil.copyfile(SAMPLE_SEGFILE, tmp / "a.zh-en.xlf")
    bad = tmp / "bad.zh-en.xlf"
    bad.write_bytes(SAMPLE_XLIFF.replace(b'document="leshan-2024"', b'document="../../escaped"'))
    return ["publish", str(bad), "--out", str(tmp / "out"), "--format", "docx"]


def symlinked_output(tmp: Path) -> list[str]:
    args = hostile_name(tmp)
    (tmp / "bad.zh-en.xlf").write_bytes(SAMPLE_XLIFF)
    (tmp / "out").mkdir()
    (tmp / "outside.docx").write_bytes(b"not yours")
    (tmp / "out" / "leshan-2024.docx").symlink_to(tmp / "outside.docx")
    return args


def failed_build_beside_good_outputs(tmp: Path) -> list[str]:
    out = tmp / "out"
    out.mkdir()
    (out / "bad.docx").write_bytes(b"an earlier good DOCX")
    (out / "bad.pdf").write_bytes(b"an earlier good PDF")
    return ["build", str(article(tmp, b"\x89PNG\r\n\x1a\n\x00\x00\x00")), "--out", str(out)]


CASES: list[Case] = [
    # --- articles -----------------------------------------------------------------------------------
    Case("article: empty", segment_article(b""), 1, r"bad\.zh\.txt is empty"),
    Case("article: white space only", segment_article(" \n\t\r\n\u3000\n".encode()), 1, r"holds only white space"),
    Case("article: binary (PNG)", segment_article(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 1, r"looks binary"),
    Case("article: missing", lambda tmp: ["segment", str(tmp / "missing.zh.txt")], 1, r"missing\.zh\.txt not found"),
    Case("article: a folder", folder_article, 1, r"is a folder"),
    Case("article: over 50 MB", lambda tmp: ["segment", str(big_sparse(tmp, "huge.zh.txt", 51 * 1024 * 1024))], 1, r"at most 50 MB"),
    Case(
        "article: undecidable encoding (Latin-1)",
        segment_article("Café crème brûlée, très délicieux.".encode("latin-1")),
        1,
        rf"cannot tell its encoding .*{ENCODING_HINT}",
    ),
    Case(
        "article: Shift-JIS",
        segment_article("日本語のテキストです。これはテストです。".encode("shift_jis")),
        1,
        rf"cannot tell its encoding .*{ENCODING_HINT}",
    ),
    Case("article: unknown --encoding", segment_article(b"x", "--encoding", "klingon"), 1, r"unknown encoding 'klingon'"),
    Case(
        "article: GB18030 bytes, --encoding big5",
        segment_article(sample_text().encode("gb18030"), "--encoding", "big5"),
        1,
        rf"not valid big5; .*{ENCODING_HINT}",
    ),
    Case("article: GB18030", segment_article(sample_text().encode("gb18030")), 0, ""),
    Case("article: UTF-16 with BOM", segment_article(sample_text().encode("utf-16")), 0, ""),
    Case("article: UTF-8 with BOM and CRLF", segment_article(codecs.BOM_UTF8 + sample_text().replace("\n", "\r\n").encode()), 0, ""),
    Case("article: Big5 (traditional)", segment_article(TRADITIONAL.encode("big5")), 0, ""),
    Case("article: GBK (traditional)", segment_article(TRADITIONAL.encode("gbk")), 0, ""),
    Case("article: 5 MB", segment_article(five_mb_article()), 0, ""),
    Case("build: binary article beside good outputs", failed_build_beside_good_outputs, 1, r"looks binary"),
    # --- segment files: publish, check, import --------------------------------------------------------
    *(
        Case(f"{command} XLIFF: {name}", segfile_case(command, data), 1,
             IMPORT_MESSAGES.get(name, message) if command == "import" else message)
        for command in ("publish", "check", "import")
        for name, data, message in HOSTILE_XLIFF
    ),
    Case(
        "check XLIFF: over 256 MB",
        lambda tmp: ["check", str(big_sparse(tmp, "huge.zh-en.xlf", 257 * 1024 * 1024))],
        1,
        r"over the 256 MB a segment file may have",
    ),
    Case("publish XLIFF: a folder", folder_segfile, 1, r"is a folder"),
    Case("publish XLIFF: document name '../../escaped'", hostile_name, 1, r"not a plain file name"),
    Case("publish: output is a symlink out of the folder", symlinked_output, 1, r"not a plain file name"),
    # --- CSV import ---------------------------------------------------------------------------------
    Case("import CSV: stray quote", csv_import(lambda t: t.replace('","', '",""', 3).encode()), 1, r"line \d+: .*check the quoting"),
    Case("import CSV: wrong header", csv_import(lambda t: t.replace('"target"', '"english"', 1).encode()), 1, r"line 1: header lacks \['target'\]"),
    Case("import CSV: a cell too many", csv_import(_extra_cell), 1, r"line 2: 9 cells but the header names 8"),
    Case("import CSV: bytes of no encoding", csv_import(lambda t: t.encode() + b"\xff\xff\r\n"), 1, r"not UTF-8, and no other encoding reads it as Chinese"),
    Case("import CSV: empty", csv_import(lambda t: b""), 1, r"is empty; nothing to import"),
    Case("import CSV: header only", csv_import(lambda t: t.split("\r\n")[0].encode() + b"\r\n"), 1, r"has a header but no rows"),
    Case("import CSV: source edited", csv_import(lambda t: t.replace(_second_row(t)[3], "改过的原文", 1).encode()), 1, r"sources are read-only"),
    Case("import CSV: another document's export", csv_import(_other_document), 1, r"none of the \d+ ids"),
    Case("import CSV: control character in a target", csv_import(lambda t: t.replace("Confluence", "Conf\x01luence", 1).encode()), 1, r"control character U\+0001"),
    # --- TBX into the glossary ------------------------------------------------------------------------
    *(Case(f"glossary import TBX: {name}", tbx_import(data), 1, message) for name, data, message in HOSTILE_TBX),
    # --- glossaries ---------------------------------------------------------------------------------
    Case("glossary: wrong header", glossary_case("term\ttranslation\n链主企业\tchain-leader enterprise\n".encode()), 1, r"bad-glossary\.tsv"),
    Case("glossary: missing target column", glossary_case("source\n链主企业\n".encode()), 1, r"bad-glossary\.tsv"),
    Case("glossary: conflicting rows", glossary_case("source\ttarget\n链主企业\tA\n链主企业\tB\n".encode()), 1, r"bad-glossary\.tsv"),
    Case("glossary: stray quote", glossary_case('source\ttarget\n"链主企业\tchain-leader enterprise\n'.encode()), 1, r"bad-glossary\.tsv"),
    Case("glossary: GBK bytes (Excel on a Chinese system)", glossary_case("source\ttarget\n链主企业\tchain-leader enterprise\n".encode("gbk")), 0, ""),
    Case("glossary: bytes of no encoding", glossary_case(b"source\ttarget\n\xe9\xff\tchain-leader enterprise\n"), 1, r"bad-glossary\.tsv"),
    Case("glossary: empty", glossary_case(b""), 1, r"bad-glossary\.tsv"),
    Case("glossary: a folder", glossary_case(None), 1, r"bad-glossary\.tsv"),
    Case("glossary: CSV with a stray comma", glossary_case("source,target\n链主企业,chain, leader\n".encode(), ".csv"), 1, r"bad-glossary\.csv"),
]


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file under folder with its bytes (a symlink as its target), to tell what a run changed."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = f"-> {os.readlink(path)}"
        elif path.is_file() and path.stat().st_size < 100 * 1024 * 1024:
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def run(args: list[str]):  # noqa: ANN201
    started = time.perf_counter()
    result = runner.invoke(app, args)
    return result, time.perf_counter() - started


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_bad_input_ends_with_one_line_and_damages_nothing(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # no default glossary, nothing written outside
    args = case.make(work)
    before = snapshot(work)
    result, seconds = run(args)
    message = result.stderr.strip().splitlines()
    print(f"\nROW | {case.id} | {message[0] if case.exit_code and message else '(works)'} | {result.exit_code} | {seconds:.2f}s")

    assert result.exception is None or isinstance(result.exception, SystemExit), "a traceback, not a message"
    assert "Traceback" not in result.output
    assert result.exit_code == case.exit_code, result.output
    if case.exit_code:
        assert len(message) == 1, f"not one line: {result.stderr!r}"
        assert message[0].startswith("leshan-pub: error: ")
        assert re.search(case.message, message[0]), message[0]
        assert snapshot(work) == before, "a failed run changed or left files"
    else:
        leftovers = [p.name for p in work.rglob("*") if p.name.endswith((".tmp", ".lock"))]
        assert not leftovers
    assert not (tmp_path / "escaped.docx").exists() and not (tmp_path.parent / "escaped.docx").exists()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(sample_text().encode("gb18030"), id="gb18030"),
        pytest.param(sample_text().encode("utf-16"), id="utf-16"),
        pytest.param(codecs.BOM_UTF8 + sample_text().replace("\n", "\r\n").encode(), id="utf-8-bom-crlf"),
    ],
)
def test_segmenting_any_encoding_of_the_sample_keeps_its_reviewed_segment_file(tmp_path, monkeypatch, data):
    # The sample's segment file holds its approved English: read in any encoding, every segment is kept.
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "leshan-2024.zh.txt"
    source.write_bytes(data)
    shutil.copyfile(SAMPLE_SEGFILE, tmp_path / SAMPLE_SEGFILE.name)
    result = runner.invoke(app, ["segment", str(source)])
    assert result.exit_code == 0, result.output
    assert "0 new, 0 dropped" in result.stdout
    assert read_segment_file(tmp_path / SAMPLE_SEGFILE.name).segments == read_segment_file(SAMPLE_SEGFILE).segments


def test_python_m_prints_one_line_for_a_bad_article(tmp_path):
    # The real process, not CliRunner: what a user's terminal shows.
    bad = article(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    out = subprocess.run([sys.executable, "-m", "leshan_pub", "segment", str(bad)], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "looks binary" in out.stderr and "Traceback" not in out.stderr


# --- the model folder ------------------------------------------------------------------------------


class _Payload:
    """A pickle that runs a command when unpickled without the safe loader."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def pickled_model(tiny_marian_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A MarianMT folder whose only weights are a pytorch_model.bin that runs code when unpickled."""
    import torch
    from safetensors.torch import load_file

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "model"
    shutil.copytree(tiny_marian_dir, folder)
    weights = load_file(str(folder / "model.safetensors"))
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "code-ran"
    torch.save({**weights, "payload": _Payload(marker)}, folder / "pytorch_model.bin")
    return folder, marker


def test_pickled_weights_run_no_code(pickled_model):
    from leshan_pub.engines.marian_model import load_marian

    folder, marker = pickled_model
    with pytest.raises(Exception):  # noqa: B017 - whatever is raised, the payload must not have run
        load_marian(str(folder))
    assert not marker.exists()


def test_pickled_weights_with_code_are_refused_with_a_message(pickled_model):
    from leshan_pub.engines.marian_model import load_marian
    from leshan_pub.errors import ModelUnavailableError

    folder, _marker = pickled_model
    with pytest.raises(ModelUnavailableError, match="does not hold a usable MarianMT model"):
        load_marian(str(folder))


def test_plain_pickled_weights_load_through_the_safe_loader(tiny_marian_dir, tmp_path, monkeypatch):
    import torch
    from safetensors.torch import load_file

    from leshan_pub.engines.marian_model import load_marian

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "model"
    shutil.copytree(tiny_marian_dir, folder)
    torch.save(load_file(str(folder / "model.safetensors")), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    _tokenizer, model = load_marian(str(folder))
    assert model.config.model_type == "marian"


def test_repository_code_named_by_the_config_is_never_run(tiny_marian_dir, tmp_path, monkeypatch):
    import json

    from leshan_pub.engines.marian_model import load_marian

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "model"
    shutil.copytree(tiny_marian_dir, folder)
    marker = tmp_path / "code-ran"
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoConfig": "custom.Config", "AutoModelForSeq2SeqLM": "custom.Model"}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "custom.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    load_marian(str(folder))
    assert not marker.exists()


def test_pickle_payload_is_real(tmp_path):
    # The payload above does run when unpickled the unsafe way: the tests that it does not are not vacuous.
    marker = tmp_path / "code-ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()
