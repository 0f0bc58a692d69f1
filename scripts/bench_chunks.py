"""Placement when an article reaches the engine a chunk at a time, as the pipeline sends it.

The pipeline hands the engine 16 segments at a time (`--batch-size`), saving after each chunk. Renderings
are learned from the drafts of the run so far (engines/renderings.DraftContext), so a term once in each of
two chunks is still learned, whatever the placement; and once every chunk is done, the segments of the
earlier chunks whose terms went in by the owed words, the attention or the last resort go to the engine
once more (pipeline.translate_document's second look). This script sends the memorised proxy's
sentences (tests/placement.py) through pipeline.translate_document, as segments of one document under
the proxy's glossary: in one call, and in chunks, with and without the second look, at beam 4 with the
placement given (the default's by default). It prints the placement figures of each and how many
sentences get the English of the one call.

    PYTHONPATH=src python scripts/bench_chunks.py [--chunks 16 8] [--engines ctranslate2 transformers]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the trained proxies live with the tests

from placement import measure, placement_cases, placement_glossary, train_memorised_model  # noqa: E402

from leshan_pub import __version__, pipeline  # noqa: E402
from leshan_pub.document import Document, Provenance, Role, Segment  # noqa: E402
from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402
from leshan_pub.pipeline import translate_document  # noqa: E402
from leshan_pub.segment import segmenter_version  # noqa: E402


@contextlib.contextmanager
def _second_look(on: bool) -> Iterator[None]:
    """The pipeline as it is (on), or without its second look (no term record calls for one)."""
    kept = pipeline._SECOND_LOOK
    pipeline._SECOND_LOOK = kept if on else frozenset()
    try:
        yield
    finally:
        pipeline._SECOND_LOOK = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, nargs="+", default=[16, 8], help="chunk sizes besides one call")
    parser.add_argument("--engines", nargs="+", default=["transformers", "ctranslate2"])
    parser.add_argument("--placement", default="owed", help="the placement mode (owed: the default)")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "build" / "placement-model-memorised")
    args = parser.parse_args()
    cases = placement_cases()
    folder = train_memorised_model(args.model_dir, log=True)
    print("| engine | sent as | chrF | exact | wrong left | edge | same English as one call | sent again |")
    print("|---|---|---|---|---|---|---|---|")
    glossary = placement_glossary()
    for name in args.engines:
        whole: list[str] = []
        for chunk, second in [(len(cases), True), *((c, s) for c in args.chunks for s in (False, True))]:
            options = EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu", placement=args.placement)
            document = Document("bench", [Segment(f"s{k}", k, Role.PARAGRAPH, c.source) for k, c in enumerate(cases)],
                                Provenance(__version__, segmenter_version()))
            with _second_look(second):
                report = translate_document(document, glossary, lambda: load_engine(name, options), chunk_size=chunk)
            out = [s.target for s in document.segments]
            whole = whole or out
            f = measure(out, cases)
            label = "one call" if chunk == len(cases) else f"chunks of {chunk}" + ("" if second else ", no second look")
            same = sum(a == b for a, b in zip(whole, out))
            print(f"| {name} | {label} | {f.chrf:.1f} | {f.exact} | {f.wrong_left} | {f.edge} | {same}/{len(cases)} | {report.looked_again} |",
                  flush=True)


if __name__ == "__main__":
    main()
