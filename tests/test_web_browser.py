"""The review page in a real browser (Debian chromium through chromium-driver): edit, approve, undo, QA refusal, disk changes."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = [
    pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]
selenium = pytest.importorskip("selenium", reason="needs selenium (the test extra)")
pytest.importorskip("starlette", reason="needs the [review] extra (starlette, uvicorn)")

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from leshan_pub.document import ReviewState  # noqa: E402
from leshan_pub.formats.segfile import read_segment_file, write_segment_file  # noqa: E402
from leshan_pub.memory import read_memory  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"
ARTICLE = "乐山新动能\n\n希尔电子去年营收3.6亿元。\n\n乐山是一座城市。它位于四川。\n"
# What a model might have written: 'Jiading' is the glossary's forbidden rendering of 乐山.
MACHINE = {
    "乐山新动能": "Leshan's new drivers",
    "希尔电子去年营收3.6亿元。": "Hill Electronics earned 360 million yuan last year.",
    "乐山是一座城市。": "Jiading is a city.",
    "它位于四川。": "It lies in Sichuan.",
}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "leshan_pub", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An article of our own in a project with a glossary and a memory, segmented, its English a machine's."""
    (tmp_path / "glossary").mkdir()
    (tmp_path / "glossary" / "terms.tsv").write_text(
        "source\ttarget\ttarget_variants\tforbidden\tnote\n乐山\tLeshan\t\tJiading\t\n希尔电子\tHill Electronics\t\t\t\n",
        encoding="utf-8")
    (tmp_path / "leshan-pub.toml").write_text(
        '[glossary]\nfiles = ["glossary/terms.tsv"]\nmemory = "glossary/memory.tmx"\n[publish]\nout = "output"\n',
        encoding="utf-8")
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    cli("segment", "article.txt", cwd=tmp_path)
    segfile = tmp_path / "article.zh-en.xlf"
    document = read_segment_file(segfile)
    for segment in document.segments:
        segment.target, segment.state = MACHINE[segment.source], ReviewState.MACHINE
    write_segment_file(segfile, document)
    return tmp_path


@pytest.fixture
def server(project: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`leshan-pub review article.txt --no-browser`, and the private file it says to open."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
           "LESHAN_PUB_MEMORY": str(project / "memory.tmx")}
    process = subprocess.Popen([sys.executable, "-m", "leshan_pub", "review", "article.txt", "--no-browser"],
                               cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    opener = None
    lines = []
    deadline = time.monotonic() + 60
    while opener is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"^open (\S+) in a browser", line)
        opener = Path(found.group(1)) if found else None
    assert opener is not None, "".join(lines)
    yield process, opener
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="leshan-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1600,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def segment_div(driver, source: str):
    for div in driver.find_elements(By.CSS_SELECTOR, ".segment"):
        if div.find_element(By.CSS_SELECTOR, ".source").text == source:
            return div
    raise AssertionError(f"no segment {source!r} on the page")


def state_of(driver, source: str) -> str:
    return segment_div(driver, source).find_element(By.CSS_SELECTOR, ".state").text


def shown(driver) -> list[str]:
    return [d.find_element(By.CSS_SELECTOR, ".source").text for d in driver.find_elements(By.CSS_SELECTOR, ".segment")
            if d.is_displayed()]


def stored(project: Path) -> dict[str, tuple[str, ReviewState]]:
    return {s.source: (s.target, s.state) for s in read_segment_file(project / "article.zh-en.xlf").segments}


def test_a_reviewer_edits_approves_and_publishes_in_the_browser(project, server, browser):
    process, opener = server
    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))  # the page redraws a saved segment
    assert "token=" not in " ".join(process.args)  # the secret is on no command line
    browser.get(opener.as_uri())
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".segment")) == 4)
    assert "token=" not in browser.current_url  # it moved into a cookie
    assert browser.find_element(By.ID, "counter").text.startswith("4 awaiting review")

    # The forbidden rendering is marked on both sides.
    city = segment_div(browser, "乐山是一座城市。")
    assert city.find_element(By.CSS_SELECTOR, ".source mark.term-forbidden").text == "乐山"
    assert city.find_element(By.CSS_SELECTOR, ".target mark.term-forbidden").text == "Jiading"
    assert "term-forbidden" in city.find_element(By.CSS_SELECTOR, ".side").text

    # QA refuses the approval, on the page, with its reason; the file is untouched.
    before = (project / "article.zh-en.xlf").read_bytes()
    city.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait.until(lambda d: "Refused" in segment_div(d, "乐山是一座城市。").find_element(By.CSS_SELECTOR, ".refusal").text)
    refusal = segment_div(browser, "乐山是一座城市。").find_element(By.CSS_SELECTOR, ".refusal").text
    assert "QA finds [term-missing]" in refusal and "'Jiading' is a forbidden rendering of '乐山'; write 'Leshan'" in refusal
    assert (project / "article.zh-en.xlf").read_bytes() == before

    # Edit the English, then one keystroke approves it and moves on.
    segment_div(browser, "乐山是一座城市。").find_element(By.CSS_SELECTOR, ".target").click()
    area = wait.until(lambda d: segment_div(d, "乐山是一座城市。").find_element(By.CSS_SELECTOR, "textarea"))
    area.clear()
    area.send_keys("Leshan is a riverside city.")
    area.send_keys(Keys.CONTROL, Keys.ENTER)
    wait.until(lambda d: state_of(d, "乐山是一座城市。") == "approved")
    assert stored(project)["乐山是一座城市。"] == ("Leshan is a riverside city.", ReviewState.APPROVED)
    memory = read_memory(project / "memory.tmx")
    assert [(e.source, e.target) for e in memory.entries] == [("乐山是一座城市。", "Leshan is a riverside city.")]
    current = browser.find_element(By.CSS_SELECTOR, ".segment.current .source").text
    assert current == "它位于四川。"  # the next segment awaiting review
    assert browser.find_element(By.ID, "counter").text.startswith("3 awaiting review")

    # Mark the next one reviewed, then undo it from the keyboard.
    segment_div(browser, "它位于四川。").find_element(By.CSS_SELECTOR, "button.review").click()
    wait.until(lambda d: state_of(d, "它位于四川。") == "reviewed")
    assert stored(project)["它位于四川。"][1] is ReviewState.REVIEWED
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "z")
    wait.until(lambda d: state_of(d, "它位于四川。") == "machine-translated")
    assert stored(project)["它位于四川。"] == ("It lies in Sichuan.", ReviewState.MACHINE)

    # Search in either language, and filter by state.
    search = browser.find_element(By.ID, "search")
    search.send_keys("riverside")
    assert [d.find_element(By.CSS_SELECTOR, ".source").text for d in browser.find_elements(By.CSS_SELECTOR, ".segment")
            if d.is_displayed()] == ["乐山是一座城市。"]
    search.clear()
    search.send_keys("四川")
    assert [d.find_element(By.CSS_SELECTOR, ".source").text for d in browser.find_elements(By.CSS_SELECTOR, ".segment")
            if d.is_displayed()] == ["它位于四川。"]
    search.clear()
    search.send_keys(" ", Keys.BACK_SPACE)
    assert len(shown(browser)) == 4
    Select(browser.find_element(By.ID, "filter-state")).select_by_value("approved")
    assert shown(browser) == ["乐山是一座城市。"]
    Select(browser.find_element(By.ID, "filter-state")).select_by_value("awaiting")
    assert shown(browser) == ["乐山新动能", "希尔电子去年营收3.6亿元。", "它位于四川。"]
    Select(browser.find_element(By.ID, "filter-state")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-term")).select_by_value("希尔电子")
    assert shown(browser) == ["希尔电子去年营收3.6亿元。"]
    Select(browser.find_element(By.ID, "filter-term")).select_by_value("")
    Select(browser.find_element(By.ID, "filter-severity")).select_by_value("error")
    assert shown(browser) == []  # the one error-level segment was fixed and approved
    Select(browser.find_element(By.ID, "filter-severity")).select_by_value("")

    # A reviewer's comment goes into the segment file as an XLIFF note.
    box = segment_div(browser, "它位于四川。").find_element(By.CSS_SELECTOR, ".comment-text")
    box.send_keys("Sichuan: keep the province name", Keys.ENTER)
    wait.until(lambda d: "Sichuan: keep the province name" in segment_div(d, "它位于四川。").find_element(By.CSS_SELECTOR, ".side").text)
    assert read_segment_file(project / "article.zh-en.xlf").segments[-1].comments == ["Sichuan: keep the province name"]

    # The draft PDF of what is on the page, and a link to it; a rebuilt PDF shows the edit too.
    browser.find_element(By.ID, "publish").click()
    wait.until(lambda d: d.find_element(By.ID, "pdf-link").is_displayed())
    pypdf = pytest.importorskip("pypdf")
    draft = project / "output" / "article.pdf"
    assert "riverside" in " ".join(p.extract_text() for p in pypdf.PdfReader(draft).pages)
    draft.unlink()
    cli("publish", "article.txt", "--format", "pdf", cwd=project)
    assert "riverside" in " ".join(p.extract_text() for p in pypdf.PdfReader(draft).pages)

    if os.environ.get("REVIEW_SCREENSHOT"):
        segment_div(browser, "希尔电子去年营收3.6亿元。").find_element(By.CSS_SELECTOR, ".target").click()
        browser.save_screenshot(os.environ["REVIEW_SCREENSHOT"])
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

    # Another tool writes the file: the page asks to reload, and its next save overwrites nothing.
    document = read_segment_file(project / "article.zh-en.xlf")
    document.segments[0].target = "Written by another tool"
    write_segment_file(project / "article.zh-en.xlf", document)
    on_disk = (project / "article.zh-en.xlf").read_bytes()
    wait.until(lambda d: d.find_element(By.ID, "notice").is_displayed())
    assert "changed on disk" in browser.find_element(By.ID, "notice").text
    segment_div(browser, "希尔电子去年营收3.6亿元。").find_element(By.CSS_SELECTOR, "button.review").click()
    wait.until(lambda d: "changed on disk" in segment_div(d, "希尔电子去年营收3.6亿元。").find_element(By.CSS_SELECTOR, ".refusal").text)
    assert (project / "article.zh-en.xlf").read_bytes() == on_disk
    browser.find_element(By.ID, "reload").click()
    wait.until(lambda d: "Written by another tool" in segment_div(d, "乐山新动能").text)

    # Ctrl-C stops the server, and the private file goes with it.
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert not opener.exists()
