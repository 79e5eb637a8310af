"""Collaboration mode in the browser: participants answer, then the aggregator's combined answer streams."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.arena_page import (
    column_log,
    conversation_id,
    first_time,
    grew_while_streaming,
    open_arena,
    pick_models,
    record_columns,
    send_prompt,
    snap,
    wait_finished,
)
from tests.browser.conftest import ArenaServer

pytestmark = pytest.mark.browser


def test_the_combined_answer_streams_after_the_participants_finish(page: Page, arena_server: ArenaServer) -> None:
    open_arena(page, "collaborate")
    expect(page.get_by_test_id("aggregator-picker")).to_be_visible()
    pick_models(page, ["quick-one", "quick-two"], aggregator="combiner")
    record_columns(page)
    send_prompt(page, "At what temperature does water boil?")
    assert wait_finished(page, ["A", "B", "combined"]) == {"A": "done", "B": "done", "combined": "done"}

    expect(page.get_by_test_id("answer-A")).to_have_text("First view: water boils at 100 degrees at sea level.")
    expect(page.get_by_test_id("answer-B")).to_have_text("Second view: it depends on the air pressure above it.")
    expect(page.get_by_test_id("answer-combined")).to_contain_text("Combined: water boils at 100 degrees")
    expect(page.get_by_test_id("answer-status-combined")).to_have_text("done")
    expect(page.get_by_test_id("model-name-A")).to_have_text("Quick One")
    expect(page.locator('.column[data-label="combined"]')).to_contain_text("Combiner")

    log = column_log(page)
    both_done = first_time(log, lambda c: c["A"]["status"] == c["B"]["status"] == "done")
    combined_text = first_time(log, lambda c: c["combined"]["length"] > 0)
    assert both_done is not None and combined_text is not None and combined_text >= both_done
    # While the participants streamed, the combined column only waited.
    assert first_time(log, lambda c: c["A"]["status"] == "streaming" and c["combined"]["status"] == "waiting")
    assert len(grew_while_streaming(log, "combined")) >= 2

    # Collaboration votes compare the combined answer with the best single one; tie/both-bad do not apply.
    expect(page.get_by_test_id("vote-tie")).to_be_hidden()
    page.get_by_test_id("vote-combined").click()
    expect(page.get_by_test_id("vote-result")).to_contain_text("vote is stored")
    expect(page.get_by_test_id("error")).to_be_empty()
    snap(page, "round-collaboration")
    assert arena_server.query(
        "SELECT winner FROM arena_vote v JOIN arena_turn t ON v.turn_id = t.id WHERE t.conversation_id = ?",
        conversation_id(page).replace("-", ""),
    ) == [("combined",)]
