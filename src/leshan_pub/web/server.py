"""The review server: one document's page on 127.0.0.1, every request token-checked, every save through the import path."""

from __future__ import annotations

import copy
import html
import hmac
import json
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..approval_rule import qa_errors, refusal
from ..document import Document, ReviewState, Segment
from ..errors import LeshanPubError
from ..formats.rows import fingerprint
from ..review import ImportRefused, save_segment
from ..formats.segfile import keep_backup, parse_xliff, write_segment_file
from ..locking import segment_file_lock
from ..memory import MemorySettings, translator_name
from ..publish import PublishOptions
from ..quality.qa import check_document
from ..terms import Glossary, TermHit
from .view import document_view, segment_view, version_of

TOKEN_HEADER = "X-Review-Token"
# The files the page is made of, by the only names a request may ask for: no request path reaches the disk.
ASSETS = {"review.js": "text/javascript", "review.css": "text/css"}
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Everything is packaged: nothing loads from elsewhere, and no other site may frame or post to the page.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'none'",
}
_MAX_BODY = 1_000_000


class RememberingGlossary(Glossary):
    """A glossary that remembers where its terms stand in each Chinese sentence it was asked about:
    a review never changes the Chinese, and QA and the page ask about every sentence each time."""

    def __init__(self, glossary: Glossary) -> None:
        self.__dict__.update(glossary.__dict__)
        self._found: dict[str, list[TermHit]] = {}

    def find(self, text: str) -> list[TermHit]:
        hits = self._found.get(text)
        if hits is None:
            hits = self._found[text] = super().find(text)
        return list(hits)


@dataclass
class _Change:
    """One save the page made: the segment as it was before, and the fingerprint it had after."""

    before: Segment
    after: str


@dataclass
class ReviewSession:
    """One document under review: its files, the rules it is saved by, and the secret the page must show."""

    segment_file: Path
    glossary: Glossary | None
    memory: MemorySettings | None
    out_dir: Path  # where the draft PDF is published, as `leshan-pub publish` does
    publish_options: PublishOptions = field(default_factory=PublishOptions)
    reviewer: str = field(default_factory=translator_name)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    port: int = 0  # set once the server is bound; requests must name 127.0.0.1 or localhost at it
    backup: Path | None = None  # the copy of the segment file kept at the first save of this session
    pdf: Path | None = None  # the draft PDF last published from the page
    changes: list[_Change] = field(default_factory=list)  # this session's saves, for undo
    lock: threading.Lock = field(default_factory=threading.Lock)
    view: tuple[str, dict[str, Any]] | None = None  # the page's view of the file at a version, built once per version
    # The file's document at a version (a hash of its bytes): a save need not parse 500 segments again.
    current: tuple[str, Document] | None = None

    def __post_init__(self) -> None:
        if self.glossary is not None and not isinstance(self.glossary, RememberingGlossary):
            self.glossary = RememberingGlossary(self.glossary)

    def document_view(self) -> dict[str, Any]:
        """The page's view of the segment file as it is on disk now (built again only when the file changed)."""
        with self.lock:
            data, document = _read(self)
            version = version_of(data)
            if self.view is None or self.view[0] != version:
                self.view = version, document_view(document, self.glossary, version)
            return self.view[1]

    @property
    def cookie(self) -> str:
        return f"leshan-review-{self.port}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _Refused(Exception):
    """A request the page must show as refused: its HTTP status and the reason in words."""

    def __init__(self, status: int, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.status, self.reason, self.extra = status, reason, extra


Handler = Callable[[Request, ReviewSession], Awaitable[Response]]


def create_app(session: ReviewSession) -> Starlette:
    """The review application for session; every route checks host and token, writes also the origin."""

    def guarded(handler: Handler, write: bool = False) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                _check_host(request, session)
                _check_token(request, session, write)
                response = await handler(request, session)
            except _Refused as refused:
                response = JSONResponse({"error": refused.reason, **refused.extra}, status_code=refused.status)
            response.headers.update(_SECURITY_HEADERS)
            return response

        return endpoint

    routes = [
        Route("/", guarded(_page), methods=["GET"]),
        Route("/assets/{name}", guarded(_asset), methods=["GET"]),
        Route("/api/document", guarded(_document), methods=["GET"]),
        Route("/api/version", guarded(_version), methods=["GET"]),
        Route("/api/segments/{id}", guarded(_save, write=True), methods=["POST"]),
        Route("/api/segments/{id}/comments", guarded(_comment, write=True), methods=["POST"]),
        Route("/api/undo", guarded(_undo, write=True), methods=["POST"]),
        Route("/api/publish", guarded(_publish, write=True), methods=["POST"]),
        Route("/draft.pdf", guarded(_draft_pdf), methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("not found", status_code=404, headers=_SECURITY_HEADERS)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("method not allowed", status_code=405, headers=_SECURITY_HEADERS)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    return app


# --- checks every request passes ------------------------------------------------------------------------


def _check_host(request: Request, session: ReviewSession) -> None:
    # A site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own name as the Host.
    allowed = {f"127.0.0.1:{session.port}", f"localhost:{session.port}"}
    if request.headers.get("host", "") not in allowed:
        raise _Refused(403, "this page is served to 127.0.0.1 only")


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _check_token(request: Request, session: ReviewSession, write: bool) -> None:
    """Reads need the token (cookie, header, or the entry URL); writes need it in the header and a same-origin request."""
    if write:
        if not _same(request.headers.get(TOKEN_HEADER), session.token):
            raise _Refused(403, "a change needs the page's token in its request; reload the page")
        # The page's own origin: the Host was checked to be 127.0.0.1 or localhost at this port.
        origin, site = request.headers.get("origin"), request.headers.get("sec-fetch-site")
        if origin != f"http://{request.headers.get('host', '')}" or (site is not None and site != "same-origin"):
            raise _Refused(403, "changes are accepted only from the review page itself")
        return
    if not (_same(request.cookies.get(session.cookie), session.token)
            or _same(request.headers.get(TOKEN_HEADER), session.token)
            or _same(request.query_params.get("token"), session.token)):
        raise _Refused(403, "open the file `leshan-pub review` printed (open-review.html) in a browser: it is the way in")


# --- reading ----------------------------------------------------------------------------------------------


async def _page(request: Request, session: ReviewSession) -> Response:
    if "token" in request.query_params:
        # As Jupyter does: the token comes once in the URL, then lives in a cookie only this origin sends.
        # Not an HTTP redirect: one that follows a link from the private file is still a cross-site
        # navigation, which a SameSite=Strict cookie does not go with; a refresh from this page is same-site.
        response: Response = HTMLResponse(
            '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/">'
            '<title>leshan-pub review</title><a href="/">Open the review page</a>\n'
        )
        response.set_cookie(session.cookie, session.token, httponly=True, samesite="strict", path="/")
        return response
    template = resources.files(__package__).joinpath("assets/review.html").read_text(encoding="utf-8")
    name = html.escape(session.segment_file.name)
    page = template.replace("{{TOKEN}}", html.escape(session.token)).replace("{{NAME}}", name)
    return Response(page, media_type="text/html; charset=utf-8")


async def _asset(request: Request, session: ReviewSession) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        raise _Refused(404, f"no asset {name!r}")
    data = resources.files(__package__).joinpath(f"assets/{name}").read_bytes()
    return Response(data, media_type=f"{ASSETS[name]}; charset=utf-8")


def _read(session: ReviewSession) -> tuple[bytes, Document]:
    """The segment file's bytes and document; parsed again only when its bytes are not those last seen."""
    try:
        data = session.segment_file.read_bytes()
        version = version_of(data)
        if session.current is None or session.current[0] != version:
            session.current = version, parse_xliff(data, str(session.segment_file))
        return data, session.current[1]
    except (OSError, LeshanPubError) as exc:
        raise _Refused(500, f"cannot read {session.segment_file.name}: {exc}") from None


async def _document(request: Request, session: ReviewSession) -> Response:
    view = {**session.document_view()}
    view["undo"] = len(session.changes)
    view["pdf"] = "/draft.pdf" if session.pdf is not None and session.pdf.is_file() else None
    return JSONResponse(view)


async def _version(request: Request, session: ReviewSession) -> Response:
    try:
        return JSONResponse({"version": version_of(session.segment_file.read_bytes())})
    except OSError as exc:
        raise _Refused(500, f"cannot read {session.segment_file.name}: {exc.strerror}") from None


async def _draft_pdf(request: Request, session: ReviewSession) -> Response:
    if session.pdf is None or not session.pdf.is_file():
        raise _Refused(404, "no draft PDF yet; press 'Publish draft PDF'")
    return FileResponse(session.pdf, media_type="application/pdf", filename=session.pdf.name,
                        content_disposition_type="inline")


# --- writing ----------------------------------------------------------------------------------------------


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise _Refused(413, "request too large")
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise _Refused(400, "the request is not JSON") from None
    if not isinstance(body, dict):
        raise _Refused(400, "the request is not a JSON object")
    return body


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise _Refused(400, f"the request lacks {key!r} (a string)")
    return value


def _unchanged_on_disk(session: ReviewSession, version: str) -> tuple[bytes, Document]:
    """The segment file, read under its lock, when it is still the version the page shows; else 409."""
    data, document = _read(session)
    if version_of(data) != version:
        raise _Refused(409, f"{session.segment_file.name} was changed on disk since the page loaded it (by another "
                       "tool or window); nothing was saved: reload the page to see the file as it is now",
                       reload=True)
    return data, document


def _segment(document: Document, segment_id: str) -> Segment:
    found = next((s for s in document.segments if s.id == segment_id), None)
    if found is None:
        raise _Refused(404, f"segment {segment_id!r} is not in this document; reload the page")
    return found


def _qa_refusal(document: Document, segment: Segment, target: str, glossary: Glossary | None) -> str:
    """Why an approval of segment with target is refused, by approve's own rule; '' when it is not.

    The page's reviewer has read the English, so a draft may be approved; QA errors refuse. Only the
    segment is checked, so that a save stays fast on a long document.
    """
    candidate = copy.copy(segment)
    candidate.target = target
    probe = Document(document.name, [candidate], document.provenance)
    return refusal(candidate, qa_errors(probe, glossary), include_drafts=True, ignore_qa=False).removesuffix(
        ", or pass --ignore-qa"
    )


def _saved(session: ReviewSession, document: Document, segment: Segment, before: Segment | None) -> Response:
    """The answer to a write: the segment as now saved, the file's new version, what awaits review."""
    data = session.segment_file.read_bytes()
    # The document was just rendered into these bytes: it is the file's at their version.
    session.current = version_of(data), document
    if before is not None:
        session.changes.append(_Change(before, fingerprint(segment.state, segment.target)))
    number = document.segments.index(segment) + 1
    findings = check_document(Document(document.name, [segment], document.provenance), session.glossary)
    return JSONResponse({
        "segment": segment_view(segment, number, session.glossary, findings),
        "version": version_of(data),
        "undo": len(session.changes),
    })


def _apply(session: ReviewSession, segment_id: str, version: str, change: Callable[[Document, Segment], None]) -> Response:
    """Run change on the segment, under the file's lock, if the file is still the version the page shows."""
    with session.lock, segment_file_lock(session.segment_file):
        _, document = _unchanged_on_disk(session, version)
        segment = _segment(document, segment_id)
        before = copy.deepcopy(segment)
        if session.backup is None:
            session.backup = keep_backup(session.segment_file)  # one copy of the file as the session found it
        try:
            change(document, segment)  # through save_segment, which changes document's segment in place
        except ImportRefused as refused:
            raise _Refused(422, "; ".join(r.reason for r in refused.refused) or str(refused)) from None
        except LeshanPubError as exc:
            raise _Refused(422, str(exc)) from None
        finally:
            session.current = None  # whatever happened, the next read parses what is on disk
        return _saved(session, document, segment, before)


async def _save(request: Request, session: ReviewSession) -> Response:
    body = await _body(request)
    segment_id, target, version, base = request.path_params["id"], _text(body, "target"), _text(body, "version"), \
        _text(body, "base")
    try:
        state = ReviewState(_text(body, "state"))
    except ValueError:
        raise _Refused(400, f"state must be one of {', '.join(ReviewState)}") from None

    def change(document: Document, segment: Segment) -> None:
        if state is ReviewState.APPROVED:
            refusal = _qa_refusal(document, segment, target, session.glossary)
            if refusal:
                raise _Refused(422, refusal, check="qa")
        save_segment(session.segment_file, segment_id, target, state, base, session.memory, backup=False,
                     approver=session.reviewer, document=document)

    return _apply(session, segment_id, version, change)


async def _comment(request: Request, session: ReviewSession) -> Response:
    body = await _body(request)
    segment_id, text, version = request.path_params["id"], _text(body, "text").strip(), _text(body, "version")
    if not text:
        raise _Refused(400, "the comment is empty; write it first")

    def change(document: Document, segment: Segment) -> None:
        save_segment(session.segment_file, segment_id, segment.target, segment.state,
                     fingerprint(segment.state, segment.target), session.memory,
                     comments=[*segment.comments, text], backup=False, approver=session.reviewer, document=document)

    return _apply(session, segment_id, version, change)


async def _undo(request: Request, session: ReviewSession) -> Response:
    body = await _body(request)
    version = _text(body, "version")
    with session.lock, segment_file_lock(session.segment_file):
        if not session.changes:
            raise _Refused(409, "nothing to undo: this page has saved no change yet")
        _, document = _unchanged_on_disk(session, version)
        last = session.changes[-1]
        segment = _segment(document, last.before.id)
        if fingerprint(segment.state, segment.target) != last.after:
            raise _Refused(409, f"segment {segment.id} changed since this page saved it; nothing undone")
        # The segment as it was, whole: English, state, emphasis, how it was made, approval and comments.
        document.segments[document.segments.index(segment)] = last.before
        session.current = None
        write_segment_file(session.segment_file, document)
        session.changes.pop()
        return _saved(session, document, last.before, None)


async def _publish(request: Request, session: ReviewSession) -> Response:
    from ..publish import publish

    body = await _body(request)
    version = _text(body, "version")
    with session.lock, segment_file_lock(session.segment_file):
        _, document = _unchanged_on_disk(session, version)
    try:
        written = publish(document, session.glossary, session.out_dir, ("pdf",), session.publish_options)
    except LeshanPubError as exc:
        raise _Refused(422, str(exc)) from None
    session.pdf = written[0]
    return JSONResponse({"url": "/draft.pdf", "file": str(session.pdf)})


# --- serving ----------------------------------------------------------------------------------------------


def redirect_file(session: ReviewSession, folder: Path) -> Path:
    """A private (0600) HTML file in folder that sends the browser to the tokened URL, so that the token is
    on no command line `ps` shows (the browser is started with this file's name, as Jupyter does)."""
    import os

    url = f"{session.origin}/?token={session.token}"
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={html.escape(url)}"><title>leshan-pub review</title></head>'
        f'<body><p><a href="{html.escape(url)}">Open the review page</a></p></body></html>\n'
    )
    path = folder / "open-review.html"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(page)
    return path


def _prepare(session: ReviewSession) -> None:
    try:
        session.document_view()
    except _Refused:
        pass  # the page's own request says what is wrong with the file


def serve(session: ReviewSession, port: int, open_browser: bool, say: Callable[[str], None]) -> None:
    """Serve session on 127.0.0.1:port (0: any free port) until Ctrl-C; open the browser unless told not to."""
    import shutil
    import socket
    import tempfile
    import webbrowser

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise LeshanPubError(f"--port {port}: cannot listen on 127.0.0.1 ({exc.strerror}); choose another port, "
                             "or leave --port out for a free one") from None
    sock.listen(64)  # connections wait in the queue until the server runs
    session.port = sock.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="leshan-review-"))  # 0700: only this user reads the file in it
    try:
        opener = redirect_file(session, folder)
        # The file first, and no bare URL: the page answers only the secret link the file holds (403 otherwise).
        say(f"open {opener} in a browser: it is the way in (it holds the review page's secret link)")
        say(f"reviewing {session.segment_file} on 127.0.0.1 port {session.port} (this machine only); Ctrl-C stops")
        # QA of every segment takes most of a first page load: done while the browser starts.
        threading.Thread(target=_prepare, args=(session,), daemon=True).start()
        if open_browser:
            webbrowser.open(opener.as_uri())
        config = uvicorn.Config(create_app(session), log_level="warning", access_log=False, lifespan="off")
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # Ctrl-C is how a review ends: the server has shut down, every save is on disk
        say("review stopped")
    finally:
        sock.close()
        shutil.rmtree(folder, ignore_errors=True)
