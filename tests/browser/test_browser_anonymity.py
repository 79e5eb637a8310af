"""Anonymity when something goes wrong: a failing model's error must not name it before the vote."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.arena_page import open_arena, send_prompt, wait_finished
from tests.browser.conftest import SCRIPTED, ArenaServer

pytestmark = pytest.mark.browser


def test_a_failed_answer_in_an_anonymous_battle_does_not_name_its_model(page: Page, arena_server: ArenaServer) -> None:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    with arena_server.anonymous_pool(["steady", "flaky"]):
        open_arena(page)
        send_prompt(page, "Explain something.")
        statuses = wait_finished(page, "AB")
    assert sorted(statuses.values()) == ["done", "failed"]
    bad = next(label for label, status in statuses.items() if status == "failed")
    column = page.locator(f'.column[data-label="{bad}"]')
    expect(column.locator(".note")).to_contain_text("upstream returned 500: the server is overloaded")
    expect(page.get_by_test_id(f"model-name-{bad}")).to_be_empty()

    href = page.locator("#conversation-link a").get_attribute("href")
    transcript = page.context.new_page()
    transcript.goto(href)
    expect(transcript.locator("main")).to_contain_text("upstream returned 500")
    seen = "\n".join(map(str, frames)) + transcript.content()
    transcript.close()
    identities = ["flaky", SCRIPTED["flaky"][0], "flakycorp", "steady", SCRIPTED["steady"][0], "steadycorp"]
    assert [s for s in identities if re.search(re.escape(s), seen, re.IGNORECASE)] == []

    # After the vote the names are out, and the stored error keeps what an operator needs.
    page.get_by_test_id("vote-bothbad").click()
    expect(page.get_by_test_id(f"model-name-{bad}")).to_have_text(SCRIPTED["flaky"][0])
    stored = arena_server.query("SELECT error FROM arena_answer WHERE error LIKE '%overloaded%'")
    assert stored and all("'flaky'" in error for (error,) in stored)
