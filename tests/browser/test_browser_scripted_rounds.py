"""Side-by-side rounds against scripted models: stopping, a failing column, hostile output, refused input."""

import json

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser.arena_page import (
    column_log,
    conversation_id,
    grew_while_streaming,
    label_of,
    open_arena,
    pick_models,
    record_columns,
    send_prompt,
    snap,
    wait_finished,
)
from tests.browser.conftest import SCRIPTED, ArenaServer

pytestmark = pytest.mark.browser


def answers_of(server: ArenaServer, conversation: str) -> dict[str, tuple[str, str, str]]:
    """slug -> (status, text, error) of the conversation's latest turn."""
    rows = server.query(
        """SELECT l.slug, a.status, a.text, a.error FROM arena_answer a
           JOIN arena_participant p ON a.participant_id = p.id JOIN arena_llm l ON p.llm_id = l.id
           JOIN arena_turn t ON a.turn_id = t.id
           WHERE t.conversation_id = ? ORDER BY t."index" """,
        conversation.replace("-", ""),
    )
    return {slug: (status, text, error) for slug, status, text, error in rows}


def test_stop_keeps_the_partial_answers_and_the_conversation_goes_on(page: Page, arena_server: ArenaServer) -> None:
    open_arena(page, "named")
    pick_models(page, ["tortoise", "snail"])
    record_columns(page)
    send_prompt(page, "Count slowly, please.")
    expect(page.get_by_test_id("answer-A")).to_contain_text("word2")
    expect(page.get_by_test_id("stop")).to_be_enabled()
    page.get_by_test_id("stop").click()
    assert wait_finished(page, "AB") == {"A": "stopped", "B": "stopped"}
    expect(page.get_by_test_id("send")).to_be_enabled()
    expect(page.get_by_test_id("stop")).to_be_disabled()
    shown = page.get_by_test_id("answer-A").inner_text()
    assert shown.startswith("word0 word1 word2") and "word599" not in shown
    assert len(grew_while_streaming(column_log(page), "A")) >= 2
    snap(page, "round-stopped")

    stored = answers_of(arena_server, conversation_id(page))
    assert stored["tortoise"][0] == "stopped" and stored["tortoise"][1].startswith("word0 word1 word2")
    assert stored["snail"][0] == "stopped"
    # Votes are offered on what was produced, and the next prompt is accepted.
    expect(page.get_by_test_id("vote-tie")).to_be_visible()
    send_prompt(page, "Now stop again.")
    expect(page.get_by_test_id("answer-status-A")).to_have_text("streaming")
    expect(page.get_by_test_id("answer-A")).to_contain_text("word0")
    page.get_by_test_id("stop").click()
    assert wait_finished(page, "AB") == {"A": "stopped", "B": "stopped"}
    expect(page.get_by_test_id("error")).to_be_empty()


def test_a_failed_column_shows_its_error_and_retries_while_the_other_finishes(
    page: Page, arena_server: ArenaServer
) -> None:
    open_arena(page, "named")
    pick_models(page, ["steady", "flaky"])
    send_prompt(page, "Explain something.")
    good, bad = label_of(page, "Steady Worker"), label_of(page, "Flaky Upstream")
    assert wait_finished(page, "AB") == {good: "done", bad: "failed"}
    expect(page.get_by_test_id(f"answer-{good}")).to_have_text(
        "A fine and complete answer, streamed word by word to the end."
    )
    expect(page.get_by_test_id(f"answer-{good}").locator("strong")).to_have_text("complete")
    failed_column = page.locator(f'.column[data-label="{bad}"]')
    expect(failed_column).to_contain_text("upstream returned 500: the server is overloaded")
    retry = failed_column.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    expect(page.get_by_test_id("error")).to_be_empty()  # a column's failure is the column's business
    snap(page, "round-failed-column")

    # The upstream recovers; retrying streams that column again and leaves the other alone.
    recovered = {**SCRIPTED["flaky"][1], "fail_after_tokens": None, "text": "Recovered after a retry."}
    arena_server.execute("UPDATE arena_llm SET script = ? WHERE slug = 'flaky'", json.dumps(recovered))
    try:
        retry.click()
        expect(page.get_by_test_id(f"answer-{bad}")).to_have_text("Recovered after a retry.")
    finally:
        arena_server.execute("UPDATE arena_llm SET script = ? WHERE slug = 'flaky'", json.dumps(SCRIPTED["flaky"][1]))
    assert wait_finished(page, bad) == {bad: "done"}
    expect(retry).to_be_hidden()
    expect(failed_column.locator(".note")).to_be_empty()
    expect(page.get_by_test_id(f"answer-status-{good}")).to_have_text("done")
    expect(page.get_by_test_id(f"answer-{good}")).to_contain_text("complete answer")
    expect(page.get_by_test_id("vote-tie")).to_be_enabled()
    stored = answers_of(arena_server, conversation_id(page))
    assert stored["flaky"][:2] == ("done", "Recovered after a retry.") and stored["steady"][0] == "done"


def test_hostile_model_output_is_shown_as_text_and_never_runs(page: Page, arena_server: ArenaServer) -> None:
    open_arena(page, "named")
    pick_models(page, ["evil", "plain"])
    send_prompt(page, "Say something nasty.")
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}
    answer = page.get_by_test_id("answer-A")
    expect(answer).to_contain_text('<script>window.__pwned = "script"; alert(1)</script>')
    expect(answer).to_contain_text("<img src=x onerror=")
    expect(answer.locator("strong")).to_have_text("bold")
    assert answer.locator("script, img, iframe, [onerror]").count() == 0
    assert answer.locator('a[href^="javascript"]').count() == 0
    page.wait_for_timeout(300)  # give anything that might run a moment to do so
    assert page.evaluate("window.__pwned") is None
    assert page.problems.dialogs == [] and page.problems.errors == []
    snap(page, "round-hostile-output")

    # The read-only transcript renders the same answer, just as inert.
    page.goto(f"/conversations/{conversation_id(page)}/")
    expect(page.locator("body")).to_contain_text("<script>window.__pwned")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main script, main img, main [onerror], main a[href^='javascript']").count() == 0
    assert page.problems.dialogs == [] and page.problems.errors == []


def test_refused_prompts_say_why_and_lose_nothing(page: Page, arena_server: ArenaServer) -> None:
    frames: list[str] = []  # listening before the page opens its socket, which it does on load
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(payload)))
    open_arena(page, "named")
    pick_models(page, ["quick-one", "quick-two"])
    frames.clear()

    page.get_by_test_id("send").click()  # nothing typed
    expect(page.get_by_test_id("error")).to_contain_text("Type a prompt first")
    send_prompt(page, "   \n  ")
    expect(page.get_by_test_id("error")).to_contain_text("Type a prompt first")
    assert frames == []  # refused in the page: nothing went to the server
    expect(page.get_by_test_id("send")).to_be_enabled()

    send_prompt(page, "Why does water boil?")
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}
    assert any(json.loads(frame)["type"] == "prompt" for frame in frames)  # the listener does see frames
    expect(page.get_by_test_id("error")).to_be_empty()
    first_answer = page.get_by_test_id("answer-A").inner_text()

    too_long = "Why? " * 2500  # 12,500 characters, over the 12,000 limit
    send_prompt(page, too_long)
    expect(page.get_by_test_id("error")).to_contain_text("the limit is 12,000")
    expect(page.get_by_test_id("prompt-input")).to_have_value(too_long)  # the visitor's text is still there
    expect(page.get_by_test_id("answer-A")).to_have_text(first_answer)  # and so is the answer on screen
    expect(page.get_by_test_id("answer-status-A")).to_have_text("done")
    expect(page.get_by_test_id("send")).to_be_enabled()
    snap(page, "round-refused-prompt")
    assert arena_server.query(
        "SELECT COUNT(*) FROM arena_turn WHERE conversation_id = ?", conversation_id(page).replace("-", "")
    ) == [(1,)]

    send_prompt(page, "Shorter, then: why?")
    expect(page.get_by_test_id("error")).to_be_empty()
    # The first turn moves into the history once the server accepts the new one; until then the
    # columns still show the first turn's "done".
    expect(page.locator('.column[data-label="A"] .history')).to_contain_text(first_answer)
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}


def test_a_dropped_connection_resumes_the_conversation_on_screen(page: Page, arena_server: ArenaServer) -> None:
    sockets: list = []

    def proxy(ws: WebSocketRoute) -> None:
        sockets.append((ws, ws.connect_to_server()))

    page.route_web_socket("**/ws/arena/", proxy)
    open_arena(page, "named")
    pick_models(page, ["quick-one", "quick-two"])
    send_prompt(page, "Why does water boil?")
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}
    first_answer = page.get_by_test_id("answer-A").inner_text()

    page_side, server_side = sockets[0]
    server_side.close()
    page_side.close()
    send_prompt(page, "And on a mountain?")  # reconnects, resumes the conversation, then sends
    expect(page.locator('.column[data-label="A"] .history .exchange')).to_have_count(1)
    expect(page.locator('.column[data-label="A"] .history')).to_contain_text("Why does water boil?")
    expect(page.locator('.column[data-label="A"] .history')).to_contain_text(first_answer)
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}
    expect(page.locator("#current-prompt")).to_contain_text("And on a mountain?")
    expect(page.get_by_test_id("error")).to_be_empty()
    assert len(sockets) == 2
    assert arena_server.query(
        "SELECT COUNT(*) FROM arena_turn WHERE conversation_id = ?", conversation_id(page).replace("-", "")
    ) == [(2,)]
