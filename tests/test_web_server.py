"""HTTP tests of every route of the review server, through Starlette's test client (no browser needed)."""

import os
import stat
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the [review] extra (starlette) is not installed")
pytest.importorskip("httpx", reason="Starlette's test client needs httpx")

from starlette.testclient import TestClient  # noqa: E402

from leshan_pub.document import (  # noqa: E402
    Cell, Document, Match, Provenance, ReviewState, Role, Segment, TermMethod, TermRecord,
)
from leshan_pub.formats.segfile import read_segment_file, write_segment_file  # noqa: E402
from leshan_pub.memory import MemorySettings, read_memory  # noqa: E402
from leshan_pub.provenance import Origin, machine_signature  # noqa: E402
from leshan_pub.terms import Glossary, Term  # noqa: E402
from leshan_pub.web.server import ReviewSession, create_app, redirect_file  # noqa: E402

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
M, A = ReviewState.MACHINE, ReviewState.APPROVED
GLOSSARY = Glossary([Term("希尔电子", "Hill Electronics"), Term("乐山", "Leshan", forbidden=("Jiading",))])


def review_document() -> Document:
    machine = machine_signature(Origin.MT, "transformers", "opus-mt-zh-en", "abc123", {"beams": "4"}, None,
                                "Jiading is a city.", "0.1.0")
    segments = [
        Segment("t1", 0, Role.TITLE, "乐山新动能", "Leshan's new drivers", M),
        Segment("p1", 1, Role.PARAGRAPH, "希尔电子去年营收3.6亿元。", "Hill Electronics earned 360 million yuan last year.", M,
                matches=[Match("希尔电子去年营收3亿元。", "Hill Electronics earned 300 million yuan.", 88, "old/p1")],
                terms=(TermRecord("希尔电子", "Hill Electronics", TermMethod.SPLICED, "a -> an"),)),
        Segment("p2", 1, Role.PARAGRAPH, "乐山是一座城市。", "Jiading is a city.", M, signature=machine),
        Segment("c1", 2, Role.CELL, "营收", "Revenue", A, cell=Cell(1, 0, 1, header=True)),
    ]
    return Document("demo", segments, Provenance("0.1.0", "1"), original="demo.zh.txt")


@pytest.fixture
def session(tmp_path: Path) -> ReviewSession:
    segfile = tmp_path / "demo.zh-en.xlf"
    write_segment_file(segfile, review_document())
    return ReviewSession(segfile, GLOSSARY, MemorySettings(tmp_path / "memory.tmx"), tmp_path / "output",
                         reviewer="Rita Reviewer", port=PORT)


@pytest.fixture
def client(session: ReviewSession) -> TestClient:
    """A client holding the page's cookie, as a browser does after the entry link."""
    client = TestClient(create_app(session), base_url=ORIGIN)
    assert client.get(f"/?token={session.token}").status_code == 200
    return client


def stranger(session: ReviewSession) -> TestClient:
    return TestClient(create_app(session), base_url=ORIGIN)


def writes(session: ReviewSession) -> dict[str, str]:
    return {"X-Review-Token": session.token, "Origin": ORIGIN}


def snapshot(session: ReviewSession) -> tuple[bytes, bool, list[str]]:
    folder = session.segment_file.parent
    return session.segment_file.read_bytes(), (folder / "memory.tmx").exists(), sorted(p.name for p in folder.iterdir())


def view(client: TestClient, segment_id: str) -> tuple[dict, str]:
    document = client.get("/api/document").json()
    return next(s for s in document["segments"] if s["id"] == segment_id), document["version"]


# --- the token, the host, the origin ----------------------------------------------------------------------

ROUTES = [
    ("GET", "/"), ("GET", "/assets/review.js"), ("GET", "/assets/review.css"), ("GET", "/api/document"),
    ("GET", "/api/version"), ("GET", "/draft.pdf"), ("POST", "/api/segments/p2"),
    ("POST", "/api/segments/p2/comments"), ("POST", "/api/undo"), ("POST", "/api/publish"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_refuses_a_request_without_the_token_and_changes_nothing(session, method, path):
    before = snapshot(session)
    body = {"target": "Leshan is a city.", "state": "approved", "base": "x", "version": "x", "text": "hi"}
    response = stranger(session).request(method, path, json=body if method == "POST" else None,
                                         headers={"Origin": ORIGIN})
    assert response.status_code == 403
    assert session.token not in response.text
    assert snapshot(session) == before


@pytest.mark.parametrize("token", ["", "wrong", "x" * 43])
def test_a_wrong_token_in_the_entry_link_gets_no_page_and_no_cookie(session, token):
    response = stranger(session).get(f"/?token={token}", follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_the_entry_link_puts_the_token_in_a_strict_cookie_and_moves_on_without_it(session):
    client = stranger(session)
    response = client.get(f"/?token={session.token}")
    assert response.status_code == 200 and 'http-equiv="refresh" content="0;url=/"' in response.text
    assert session.token not in response.text
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "demo.zh-en.xlf" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "192.168.1.5:8765"])
def test_a_request_naming_another_host_is_refused_even_with_the_token(session, host):
    # A site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own name.
    response = stranger(session).get("/api/document", headers={"Host": host, "X-Review-Token": session.token})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": ORIGIN},  # the cookie alone: a form on another site would send it too
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {},
        {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_write_needs_the_token_in_its_header_and_the_page_as_origin(session, client, headers):
    segment, version = view(client, "p2")
    before = snapshot(session)
    if headers.get("Origin") != ORIGIN or "Sec-Fetch-Site" in headers:
        headers = {**headers, "X-Review-Token": session.token}
    response = client.post("/api/segments/p2", headers=headers,
                           json={"target": "Leshan is a city.", "state": "reviewed", "base": segment["base"], "version": version})
    assert response.status_code == 403
    assert snapshot(session) == before


def test_the_page_at_localhost_saves_with_its_own_origin_and_not_with_the_other(session):
    client = TestClient(create_app(session), base_url=f"http://localhost:{PORT}")
    client.get(f"/?token={session.token}")
    segment, version = view(client, "t1")
    body = {"target": segment["target"], "state": "reviewed", "base": segment["base"], "version": version}
    refused = client.post("/api/segments/t1", json=body, headers=writes(session))  # Origin 127.0.0.1, Host localhost
    assert refused.status_code == 403
    saved = client.post("/api/segments/t1", json=body,
                        headers={"X-Review-Token": session.token, "Origin": f"http://localhost:{PORT}"})
    assert saved.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/demo.zh-en.xlf", "/assets/review.html", "/assets/server.py", "/assets/..%2f..%2fserver.py",
     "/assets/%2e%2e/%2e%2e/formats/segfile.py", "/etc/passwd", "/assets/../../../../etc/passwd", "/output/demo.pdf",
     "/memory.tmx", "/api/segments"],
)
def test_no_path_outside_the_page_reaches_a_file(session, client, path):
    before = snapshot(session)
    response = client.get(path)
    assert response.status_code in (404, 405)
    assert "root:" not in response.text and "<xliff" not in response.text
    assert snapshot(session) == before


def test_a_segment_the_document_lacks_is_404_and_changes_nothing(session, client):
    version = client.get("/api/version").json()["version"]
    before = snapshot(session)
    response = client.post("/api/segments/nope", headers=writes(session),
                           json={"target": "x", "state": "reviewed", "base": "", "version": version})
    assert response.status_code == 404
    assert snapshot(session)[0] == before[0]


# --- what the page shows ----------------------------------------------------------------------------------


def test_the_document_view_shows_terms_qa_matches_records_cells_and_states(client):
    document = client.get("/api/document").json()
    by_id = {s["id"]: s for s in document["segments"]}
    assert [s["id"] for s in document["segments"]] == ["t1", "p1", "p2", "c1"]
    # The forbidden rendering is marked on both sides, with the approved English.
    p2 = by_id["p2"]
    assert p2["source_terms"] == [{"start": 0, "end": 2, "source": "乐山", "target": "Leshan", "status": "forbidden"}]
    assert p2["target_terms"][0] | {} == {"start": 0, "end": 7, "source": "乐山", "kind": "forbidden", "target": "Leshan"}
    assert {f["check"] for f in p2["findings"]} == {"term-missing", "term-forbidden"}
    assert by_id["p1"]["source_terms"][0]["status"] == "ok"
    assert by_id["p1"]["matches"] == [{"score": 88, "origin": "old/p1", "source": "希尔电子去年营收3亿元。",
                                       "target": "Hill Electronics earned 300 million yuan."}]
    assert by_id["p1"]["records"] == [{"source": "希尔电子", "target": "Hill Electronics", "method": "spliced", "detail": "a -> an"}]
    assert by_id["p1"]["findings"] == []  # 3.6亿元 is 360 million yuan
    assert by_id["c1"]["where"] == "table 1, row 1, column 2 (header)"
    assert by_id["t1"]["where"] == "title 1" and by_id["p2"]["where"] == "paragraph 2"
    assert [s["state"] for s in document["segments"]] == ["machine-translated"] * 3 + ["approved"]
    assert {t["source"] for t in document["terms"]} == {"乐山", "希尔电子"}


def test_the_version_follows_the_file(session, client):
    first = client.get("/api/version").json()["version"]
    assert client.get("/api/document").json()["version"] == first
    document = read_segment_file(session.segment_file)
    document.segments[0].target = "Another English"
    write_segment_file(session.segment_file, document)
    assert client.get("/api/version").json()["version"] != first
    reloaded = client.get("/api/document").json()
    assert reloaded["version"] != first and reloaded["segments"][0]["target"] == "Another English"


def test_the_page_assets_are_packaged_and_load_nothing_from_elsewhere(client):
    page = client.get("/").text
    script = client.get("/assets/review.js")
    style = client.get("/assets/review.css")
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    for text in (page, script.text, style.text):
        assert "http://" not in text.replace(ORIGIN, "") and "https://" not in text
        assert "@import" not in text


# --- saving -----------------------------------------------------------------------------------------------


def test_an_edit_and_approval_go_through_the_import_path(session, client):
    segment, version = view(client, "p2")
    response = client.post("/api/segments/p2", headers=writes(session), json={
        "target": "Leshan is a city.", "state": "approved", "base": segment["base"], "version": version})
    assert response.status_code == 200, response.text
    saved = response.json()["segment"]
    assert saved["state"] == "approved" and saved["findings"] == []
    assert saved["approval"]["who"] == "Rita Reviewer"
    stored = {s.id: s for s in read_segment_file(session.segment_file).segments}["p2"]
    assert (stored.target, stored.state) == ("Leshan is a city.", ReviewState.APPROVED)
    assert stored.signature is not None and stored.signature.origin == Origin.PERSON
    assert stored.approval is not None and stored.approval.who == "Rita Reviewer"
    remembered = read_memory(session.memory.path).by_key("乐山是一座城市。")
    assert [(e.target, e.state) for e in remembered] == [("Leshan is a city.", ReviewState.APPROVED)]
    assert response.json()["version"] == client.get("/api/version").json()["version"]


def test_a_reviewers_new_english_shows_the_terms_as_theirs_not_as_spliced(session, client):
    """The side panel said 'spliced, a -> an' about English the reviewer had just typed."""
    segment, version = view(client, "p1")
    response = client.post("/api/segments/p1", headers=writes(session), json={
        "target": "HILL ELECTRONICS earned RMB 360 million last year.", "state": "reviewed", "base": segment["base"],
        "version": version})
    assert response.status_code == 200, response.text
    expected = [{"source": "希尔电子", "target": "Hill Electronics", "method": "person", "detail": ""}]
    assert response.json()["segment"]["records"] == expected
    assert view(client, "p1")[0]["records"] == expected


def test_marking_reviewed_keeps_the_english_and_how_it_was_made(session, client):
    segment, version = view(client, "t1")
    response = client.post("/api/segments/t1", headers=writes(session), json={
        "target": segment["target"], "state": "reviewed", "base": segment["base"], "version": version})
    assert response.status_code == 200
    stored = read_segment_file(session.segment_file).segments[0]
    assert (stored.target, stored.state) == ("Leshan's new drivers", ReviewState.REVIEWED)


def test_one_backup_per_session_not_one_per_save(session, client):
    for english in ("Leshan is a city.", "Leshan is a fine city."):
        segment, version = view(client, "p2")
        assert client.post("/api/segments/p2", headers=writes(session), json={
            "target": english, "state": "reviewed", "base": segment["base"], "version": version}).status_code == 200
    backups = list(session.segment_file.parent.glob("*.bak"))
    assert len(backups) == 1
    assert read_segment_file(backups[0]).segments[2].target == "Jiading is a city."


def test_an_approval_qa_refuses_is_refused_with_the_reason_and_changes_nothing(session, client):
    segment, version = view(client, "p2")
    before = snapshot(session)
    response = client.post("/api/segments/p2", headers=writes(session), json={
        "target": segment["target"], "state": "approved", "base": segment["base"], "version": version})
    assert response.status_code == 422
    reason = response.json()["error"]
    assert "term-forbidden" in reason and "'Jiading' is a forbidden rendering of '乐山'; write 'Leshan'" in reason
    assert snapshot(session)[:2] == before[:2]


def test_changing_approved_english_is_refused_as_import_refuses_it(session, client):
    segment, version = view(client, "c1")
    response = client.post("/api/segments/c1", headers=writes(session), json={
        "target": "Turnover", "state": "approved", "base": segment["base"], "version": version})
    assert response.status_code == 422
    assert "changing approved work needs --force" in response.json()["error"]
    assert read_segment_file(session.segment_file).segments[3].target == "Revenue"


def test_a_file_changed_on_disk_is_never_overwritten(session, client):
    segment, version = view(client, "p2")
    document = read_segment_file(session.segment_file)
    document.segments[0].target = "Written by another tool"
    write_segment_file(session.segment_file, document)
    on_disk = session.segment_file.read_bytes()
    response = client.post("/api/segments/p2", headers=writes(session), json={
        "target": "Leshan is a city.", "state": "reviewed", "base": segment["base"], "version": version})
    assert response.status_code == 409
    assert response.json()["reload"] is True and "reload" in response.json()["error"]
    assert session.segment_file.read_bytes() == on_disk
    for path, body in (("/api/undo", {}), ("/api/publish", {}), ("/api/segments/p2/comments", {"text": "x"})):
        assert client.post(path, headers=writes(session), json={**body, "version": version}).status_code == 409
    assert session.segment_file.read_bytes() == on_disk


def test_a_comment_is_stored_as_a_reviewer_note(session, client):
    _, version = view(client, "p1")
    response = client.post("/api/segments/p1/comments", headers=writes(session),
                           json={"text": "Check 3.6亿 with finance", "version": version})
    assert response.status_code == 200
    assert response.json()["segment"]["comments"] == ["Check 3.6亿 with finance"]
    assert '<note from="reviewer">Check 3.6亿 with finance</note>' in session.segment_file.read_text(encoding="utf-8")
    stored = read_segment_file(session.segment_file).segments[1]
    assert stored.state is M and stored.target.startswith("Hill Electronics earned 360")
    empty = client.post("/api/segments/p1/comments", headers=writes(session),
                        json={"text": "  ", "version": response.json()["version"]})
    assert empty.status_code == 400


def test_undo_restores_the_segment_whole(session, client):
    original = read_segment_file(session.segment_file).segments[2]
    segment, version = view(client, "p2")
    saved = client.post("/api/segments/p2", headers=writes(session), json={
        "target": "Leshan is a city.", "state": "reviewed", "base": segment["base"], "version": version}).json()
    response = client.post("/api/undo", headers=writes(session), json={"version": saved["version"]})
    assert response.status_code == 200
    restored = read_segment_file(session.segment_file).segments[2]
    assert (restored.target, restored.state, restored.signature) == (original.target, M, original.signature)
    assert response.json()["undo"] == 0
    nothing = client.post("/api/undo", headers=writes(session), json={"version": response.json()["version"]})
    assert nothing.status_code == 409 and "nothing to undo" in nothing.json()["error"]


@pytest.mark.parametrize(
    "body",
    [{"target": "x", "state": "done", "base": "", "version": "v"}, {"state": "reviewed", "base": "", "version": "v"},
     {"target": 3, "state": "reviewed", "base": "", "version": "v"}],
)
def test_a_malformed_save_is_400_and_changes_nothing(session, client, body):
    before = snapshot(session)
    assert client.post("/api/segments/p2", headers=writes(session), json=body).status_code == 400
    assert snapshot(session) == before


def test_the_draft_pdf_shows_what_is_on_the_page(session, client):
    pypdf = pytest.importorskip("pypdf")
    assert client.get("/draft.pdf").status_code == 404
    segment, version = view(client, "p2")
    version = client.post("/api/segments/p2", headers=writes(session), json={
        "target": "Leshan is a riverside city.", "state": "reviewed", "base": segment["base"], "version": version,
    }).json()["version"]
    response = client.post("/api/publish", headers=writes(session), json={"version": version})
    assert response.status_code == 200 and response.json()["url"] == "/draft.pdf"
    assert Path(response.json()["file"]) == session.out_dir / "demo.pdf"
    pdf = client.get("/draft.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    import io

    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "riverside" in text
    assert client.get("/api/document").json()["pdf"] == "/draft.pdf"


def test_the_redirect_file_is_private_and_holds_the_tokened_link(session, tmp_path):
    path = redirect_file(session, tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert f"{ORIGIN}/?token={session.token}" in path.read_text(encoding="utf-8")


# --- the command -------------------------------------------------------------------------------------------


def test_review_of_an_article_without_a_segment_file_says_what_to_run(tmp_path):
    from typer.testing import CliRunner

    from leshan_pub.cli import app

    (tmp_path / "article.txt").write_text("乐山是一座城市。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["review", str(tmp_path / "article.txt"), "--no-browser", "--no-glossary"])
    assert result.exit_code == 1
    assert "run `leshan-pub segment SOURCE` first" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_review_on_a_taken_port_says_so_in_one_line(session):
    import socket

    from typer.testing import CliRunner

    from leshan_pub.cli import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["review", str(session.segment_file), "--port", str(port), "--no-browser",
                                          "--no-glossary"])
    assert result.exit_code == 1
    assert f"--port {port}: cannot listen on 127.0.0.1" in result.output
    assert "leave --port out for a free one" in result.output


def test_the_review_server_imports_no_engine_or_typesetting_library():
    import subprocess
    import sys

    code = ("import sys, leshan_pub.web.server\n"
            "print([m for m in ('torch', 'transformers', 'ctranslate2', 'reportlab', 'docx') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_review_no_browser_prints_the_private_file_first_and_no_url_that_answers_403(session):
    """`review --no-browser` once printed http://127.0.0.1:8765/ first: the page a user clicks answered 403."""
    import re
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "leshan_pub", "review", str(session.segment_file), "--no-browser",
                                "--no-glossary"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
        found = re.match(r"open (\S+) in a browser: it is the way in", first)
        assert found, first
        assert "http" not in first + second and "Ctrl-C" in second  # nothing to click that answers 403
        opener = Path(found.group(1))
        assert stat.S_IMODE(opener.stat().st_mode) == 0o600
        url = re.search(r'url=([^"]+)"', opener.read_text(encoding="utf-8")).group(1).replace("&amp;", "&")
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as page:
                    assert page.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
