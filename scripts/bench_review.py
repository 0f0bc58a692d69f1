"""How fast the review page opens and saves: a 500-segment document over real HTTP on 127.0.0.1.

The document is the sample article's 59 segments (source/leshan-2024.zh-en.xlf) repeated, each copy
with ids of its own and its English set back to machine-translated, checked against the project's
glossary; the memory is the project's, grown with one entry per save. The server is the one
`leshan-pub review` runs (uvicorn, the same app), in a thread of this process.

Printed: the time to open the page (the HTML, its script and style, and the document's JSON, as a
browser fetches them) from a fresh server and again, then the time to save one segment (an edit of the English, marked reviewed:
lock, file check, import rules, atomic write, memory update, the answer's QA), median, 95th
percentile and worst, wall time and this process's CPU time (client and server together: on a
machine shared with other work the wall time grows with the load average, which is printed). With --browser, also the time headless chromium takes from the link to the
500 segments drawn. Goals (issue 30): open under 1 s, save under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import uvicorn

from leshan_pub.document import Document, ReviewState
from leshan_pub.formats.segfile import read_segment_file, write_segment_file
from leshan_pub.glossary import load_glossary
from leshan_pub.memory import MemorySettings
from leshan_pub.web.server import ReviewSession, create_app

ROOT = Path(__file__).resolve().parents[1]


def big_document(segments: int) -> Document:
    sample = read_segment_file(ROOT / "source" / "leshan-2024.zh-en.xlf")
    copies = []
    blocks = max(s.block for s in sample.segments) + 1
    for n in range(segments):
        original = sample.segments[n % len(sample.segments)]
        copy = n // len(sample.segments)
        copies.append(replace(original, id=f"{original.id}-{copy}", block=original.block + copy * blocks,
                              state=ReviewState.MACHINE, approval=None, notes=list(original.notes),
                              matches=list(original.matches), comments=[]))
    return Document(sample.name, copies, sample.provenance, original=sample.original)


def start(session: ReviewSession) -> tuple[uvicorn.Server, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    session.port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(session), log_level="warning", access_log=False, lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, session.origin


def millis(values: list[float], cpu: list[float] | None = None) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    said = f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, worst {ordered[-1] * 1000:.1f} ms"
    if cpu:
        said += f"; CPU median {statistics.median(cpu) * 1000:.1f} ms"
    return said


class Timer:
    """Wall and CPU time of a block (CPU of this whole process: the client and the server thread)."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall, self.cpu = wall, cpu

    def __enter__(self) -> None:
        self.begin, self.begin_cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self.begin)
        self.cpu.append(time.process_time() - self.begin_cpu)


def open_page(client: httpx.Client) -> int:
    client.get("/")
    client.get("/assets/review.js")
    client.get("/assets/review.css")
    return len(client.get("/api/document").content)


def browser_open(url: str, segments: int, repeats: int) -> list[float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="bench-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    times = []
    try:
        driver.get(url)  # the entry link: the cookie, once
        for _ in range(repeats):
            begin = time.perf_counter()
            driver.get(url.split("?")[0])
            while driver.execute_script("return document.querySelectorAll('.segment').length") < segments:
                time.sleep(0.005)
            times.append(time.perf_counter() - begin)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=500)
    parser.add_argument("--cold", type=int, default=3, help="fresh servers' first page loads to time")
    parser.add_argument("--opens", type=int, default=10, help="page opens to time")
    parser.add_argument("--saves", type=int, default=60, help="segment saves to time")
    parser.add_argument("--browser", action="store_true", help="also time chromium drawing the page")
    args = parser.parse_args()
    began = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="bench-review-"))
    segfile = folder / "leshan-2024.zh-en.xlf"
    write_segment_file(segfile, big_document(args.segments))
    shutil.copy(ROOT / "glossary" / "memory.tmx", folder / "memory.tmx")
    session = ReviewSession(segfile, load_glossary(ROOT / "glossary" / "leshan.tsv"),
                            MemorySettings(folder / "memory.tmx"), folder / "output", reviewer="bench")
    cold, cold_cpu = [], []
    for _ in range(args.cold):
        # A fresh server's first page: the file parsed, every segment checked, the view built.
        fresh = ReviewSession(segfile, load_glossary(ROOT / "glossary" / "leshan.tsv"), session.memory,
                              session.out_dir, reviewer="bench")
        server, origin = start(fresh)
        with httpx.Client(base_url=origin, headers={"X-Review-Token": fresh.token}) as client, Timer(cold, cold_cpu):
            size = open_page(client)
        server.should_exit = True
    server, origin = start(session)
    print(f"{args.segments} segments, segment file {segfile.stat().st_size // 1024} KB, "
          f"memory {(folder / 'memory.tmx').stat().st_size // 1024} KB, python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"open, cold (a fresh server's first page: HTML, script, style, {size // 1024} KB of document JSON): "
          f"{millis(cold, cold_cpu)}")
    with httpx.Client(base_url=origin, headers={"X-Review-Token": session.token}) as client:
        open_page(client)
        opens, opens_cpu = [], []
        for _ in range(args.opens):
            with Timer(opens, opens_cpu):
                open_page(client)
        print(f"open again (the file unchanged): {millis(opens, opens_cpu)}")
        saves, saves_cpu = [], []
        writes = {"Origin": origin}
        version = client.get("/api/version").json()["version"]
        document = client.get("/api/document").json()
        for n in range(args.saves):
            at = (n * 7) % len(document["segments"])
            segment = document["segments"][at]
            body = {"target": f"{segment['target']} (edit {n})", "state": "reviewed", "base": segment["base"],
                    "version": version}
            with Timer(saves, saves_cpu):
                response = client.post(f"/api/segments/{segment['id']}", json=body, headers=writes)
            response.raise_for_status()
            version = response.json()["version"]
            document["segments"][at] = response.json()["segment"]
        print(f"save one segment (edit + reviewed, memory updated): {millis(saves, saves_cpu)}")
    if args.browser:
        drawn = browser_open(f"{origin}/?token={session.token}", args.segments, max(3, args.opens // 2))
        print(f"chromium, link to {args.segments} segments drawn: {millis(drawn)}")
    server.should_exit = True
    time.sleep(0.2)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"wall time {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
