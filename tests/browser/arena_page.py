"""Driving the arena page through its data-testid hooks, the way a visitor would."""

import re
from pathlib import Path

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # git-ignored

FINISHED_RE = re.compile(r"^(done|failed|stopped)$")

# Every change inside the columns appends a snapshot of each column: label, status, answer length.
RECORDER = """() => {
  window.__columnLog = [];
  const snapshot = () => Array.from(document.querySelectorAll(".column")).map((col) => ({
    label: col.dataset.label,
    status: col.querySelector(".status").textContent,
    length: col.querySelector(".answer").textContent.length,
  }));
  new MutationObserver(() => window.__columnLog.push({ t: performance.now(), columns: snapshot() }))
    .observe(document.getElementById("columns"), { childList: true, subtree: true, characterData: true });
}"""


def open_arena(page: Page, mode: str = "anonymous") -> None:
    page.goto("/")
    expect(page.get_by_test_id("send")).to_be_enabled()
    if mode != "anonymous":
        page.get_by_test_id(f"mode-{mode}").click()


def pick_models(page: Page, slugs: list[str], aggregator: str | None = None) -> None:
    page.get_by_test_id("model-picker").select_option(slugs)  # waits until /api/models/ filled it
    if aggregator:
        page.get_by_test_id("aggregator-picker").select_option(aggregator)


def label_of(page: Page, name: str, labels: str = "ABCDEF") -> str:
    """The column a named model sits in (the picker lists models by name, so that is their order)."""
    page.get_by_test_id("model-name-A").wait_for()
    for label in labels:
        tag = page.get_by_test_id(f"model-name-{label}")
        if tag.count() and tag.inner_text() == name:
            return label
    raise AssertionError(f"no column shows {name!r}")


def conversation_id(page: Page) -> str:
    """The conversation's id, from the page's link to its transcript (SQLite stores it without dashes)."""
    href = page.locator("#conversation-link a").get_attribute("href")
    return href.strip("/").split("/")[-1]


def send_prompt(page: Page, text: str) -> None:
    page.get_by_test_id("prompt-input").fill(text)
    page.get_by_test_id("send").click()


def record_columns(page: Page) -> None:
    page.evaluate(RECORDER)


def column_log(page: Page) -> list[dict]:
    return page.evaluate("window.__columnLog")


def wait_finished(page: Page, labels: str | list[str], timeout_s: float = 120) -> dict[str, str]:
    """Wait until every column's status is final; returns label -> status."""
    for label in labels:
        expect(page.get_by_test_id(f"answer-status-{label}")).to_have_text(FINISHED_RE, timeout=timeout_s * 1000)
    return {label: page.get_by_test_id(f"answer-status-{label}").inner_text() for label in labels}


def grew_while_streaming(log: list[dict], label: str) -> list[int]:
    """The answer lengths seen for this column while its status said streaming, in order."""
    lengths = []
    for entry in log:
        for col in entry["columns"]:
            if col["label"] == label and col["status"] == "streaming" and col["length"] and (
                not lengths or col["length"] != lengths[-1]
            ):
                lengths.append(col["length"])
    return lengths


def first_time(log: list[dict], predicate: object) -> float | None:
    """When the first snapshot satisfying predicate(columns by label) was taken."""
    for entry in log:
        if predicate({c["label"]: c for c in entry["columns"]}):
            return entry["t"]
    return None


def snap(page: Page, name: str, full_page: bool = False) -> Path:
    """A screenshot for people to look at (test-artifacts/ is kept by CI)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
