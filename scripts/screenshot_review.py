"""The review page's screenshot for the README (docs/review.png), from headless chromium.

The sample article's segment file with its first segments set back to review: one machine draft with
a forbidden term rendering (QA error, marked on both sides), one memory draft with its match and
score, one with the term records an engine writes. Needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from leshan_pub.document import Match, ReviewState, TermMethod, TermRecord
from leshan_pub.formats.segfile import read_segment_file, write_segment_file
from leshan_pub.glossary import load_glossary
from leshan_pub.memory import MemorySettings
from leshan_pub.web.server import ReviewSession

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from bench_review import start  # noqa: E402


def sample_under_review(folder: Path) -> Path:
    document = read_segment_file(ROOT / "source" / "leshan-2024.zh-en.xlf")
    segments = document.segments
    machine = ReviewState.MACHINE
    title = segments[1]
    segments[1] = replace(title, state=machine, approval=None,
                          target=title.target.replace("New Quality Productive Forces", "New Quality Productivity"))
    heading = segments[3]
    segments[3] = replace(heading, state=machine, approval=None, target="Leshan presses the accelerator on high-quality development.",
                          matches=[Match(heading.source.replace("正", ""), heading.target, 91, "leshan-2023/s9e1f0a2b3c")])
    paragraph = segments[4]
    segments[4] = replace(paragraph, state=machine, approval=None, terms=(
        TermRecord("多晶硅", "polysilicon", TermMethod.MODEL),
        TermRecord("侯氏制碱法", "Hou's process", TermMethod.SPLICED, "the model wrote 'Hou's method'"),
        TermRecord("乐山", "Leshan", TermMethod.MODEL)))
    segments[5] = replace(segments[5], state=ReviewState.REVIEWED, approval=None,
                          comments=["Check 'primary task' against the 2023 report"])
    segfile = folder / "leshan-2024.zh-en.xlf"
    write_segment_file(segfile, document)
    return segfile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "review.png")
    parser.add_argument("--size", default="1500,1250")
    args = parser.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    folder = Path(tempfile.mkdtemp(prefix="review-shot-"))
    session = ReviewSession(sample_under_review(folder), load_glossary(ROOT / "glossary" / "leshan.tsv"),
                            MemorySettings(folder / "memory.tmx"), folder / "output", reviewer="screenshot")
    server, origin = start(session)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars", f"--window-size={args.size}",
                 f"--user-data-dir={folder / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    try:
        driver.get(f"{origin}/?token={session.token}")
        WebDriverWait(driver, 20).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".segment")) > 50)
        second = driver.find_elements(By.CSS_SELECTOR, ".segment")[1]
        second.find_element(By.CSS_SELECTOR, "button.approve").click()  # QA refuses it, with the reason
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".segment")[1]
                                        .find_element(By.CSS_SELECTOR, ".refusal").text)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(args.out))
        from PIL import Image  # reportlab's dependency; 128 colours keep the page's text sharp at a third of the size

        Image.open(args.out).convert("RGB").quantize(128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
            .save(args.out, optimize=True)
    finally:
        driver.quit()
        server.should_exit = True
        shutil.rmtree(folder, ignore_errors=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
