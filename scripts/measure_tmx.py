"""Time `memory import` of a large foreign TMX and one segment saved into the memory it makes (issue 27).

Run: PYTHONPATH=src python scripts/measure_tmx.py [UNITS]   (default 100,000; prints seconds per step)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner


def foreign_tmx(count: int) -> bytes:
    """A Trados-like TMX of count units: zh-TW/en-GB, inline codes, a prop and dates on each."""
    rows = "".join(
        f'    <tu tuid="{n}" creationdate="20240101T000000Z" creationid="AGENCY\\pm"><prop type="x-n">{n}</prop>'
        f'<tuv xml:lang="zh-TW"><seg>第{n}號句子，宜賓的產業在{n % 97}年裡變化很大。</seg></tuv>'
        f'<tuv xml:lang="en-GB"><seg><bpt i="1">&lt;b&gt;</bpt>Sentence {n}<ept i="1">&lt;/b&gt;</ept>: '
        f"Yibin's industry changed a lot in {n % 97} years.</seg></tuv></tu>\n"
        for n in range(count)
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n  <header creationtool="Big Tool" '
            f'srclang="zh-TW" datatype="plaintext"/>\n  <body>\n{rows}  </body>\n</tmx>\n').encode()


def main(count: int) -> None:
    from leshan_pub.cli import app
    from leshan_pub.document import ReviewState
    from leshan_pub.memory import MemoryEntry, read_memory, write_memory

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        source, memory = folder / "agency.tmx", folder / "memory.tmx"
        source.write_bytes(foreign_tmx(count))
        started, cpu = time.perf_counter(), time.process_time()
        result = CliRunner().invoke(app, ["memory", "import", str(source), "--memory", str(memory)])
        imported, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert result.exit_code == 0, result.output
        print(f"memory import of {count:,} units: {imported:.2f} s wall, {cpu:.2f} s CPU ({result.stdout.strip()})")

        started, cpu = time.perf_counter(), time.process_time()
        tm = read_memory(memory)
        read, read_cpu = time.perf_counter() - started, time.process_time() - cpu
        before = memory.read_bytes()
        started, cpu = time.perf_counter(), time.process_time()
        tm.add(MemoryEntry("s1", "新的一句。", "A new sentence.", ReviewState.APPROVED, document="d",
                           created="20261201T000000Z", changed="20261201T000000Z", who="Li"))
        write_memory(memory, tm)
        saved, saved_cpu = time.perf_counter() - started, time.process_time() - cpu
        after = memory.read_bytes()
        kept = after[: before.index(b"</body>")] == before[: before.index(b"</body>")]
        print(f"read the memory: {read:.2f} s wall, {read_cpu:.2f} s CPU; save one segment: {saved:.3f} s wall, "
              f"{saved_cpu:.3f} s CPU (old units kept byte for byte: {kept}; {len(after) / 1e6:.1f} MB)")
        started = time.perf_counter()
        tm.matches("第5號句子，宜賓的產業在5年裡變化很大。")
        print(f"one lookup: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
