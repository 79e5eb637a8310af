"""Battles with the bundled demo model (SmolLM2-135M on the CPU): few, short, and end to end."""

import json
import re

import pytest
from playwright.sync_api import Page, WebSocket, expect

from arena.demo import DEMO_MODELS
from tests.browser.arena_page import (
    column_log,
    conversation_id,
    grew_while_streaming,
    open_arena,
    pick_models,
    record_columns,
    send_prompt,
    snap,
    wait_finished,
)
from tests.browser.conftest import ARTIFACTS, ArenaServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_SLUG = {m["name"]: m["slug"] for m in DEMO_MODELS}
PROMPT = "Name three colours."


def leaderboard_votes(page: Page, server: ArenaServer) -> tuple[int, dict[str, int]]:
    """The leaderboard page after a refit (no Celery worker runs here): total battles, votes per model."""
    server.shell("from arena.services.leaderboard import refresh_all; refresh_all()")
    page.goto("/leaderboard/")
    total = int(page.get_by_test_id("vote-count").inner_text())
    cells = page.locator('[data-testid^="votes-"]')
    per_model = {
        cells.nth(i).get_attribute("data-testid").removeprefix("votes-"): int(cells.nth(i).inner_text())
        for i in range(cells.count())
    }
    return total, per_model


def record_frames(ws: WebSocket, frames: list) -> None:
    ws.on("framesent", lambda payload: frames.append(payload))
    ws.on("framereceived", lambda payload: frames.append(payload))


def test_anonymous_battle_streams_reveals_on_vote_and_counts(page: Page, arena_server: ArenaServer) -> None:
    total_before, votes_before = leaderboard_votes(page, arena_server)
    open_arena(page)
    record_columns(page)
    send_prompt(page, PROMPT)
    expect(page.get_by_test_id("stop")).to_be_enabled()
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}

    log = column_log(page)
    for label in "AB":
        assert len(grew_while_streaming(log, label)) >= 2, f"column {label} did not grow while streaming"
        expect(page.get_by_test_id(f"answer-{label}")).not_to_be_empty()
        expect(page.get_by_test_id(f"model-name-{label}")).to_be_empty()  # hidden until the vote
    expect(page.get_by_test_id("vote-tie")).to_be_enabled()

    page.get_by_test_id("vote-A").click()
    expect(page.get_by_test_id("vote-result")).to_contain_text("vote is stored")
    names = [page.get_by_test_id(f"model-name-{label}").inner_text() for label in "AB"]
    assert all(name in DEMO_SLUG for name in names) and names[0] != names[1]
    expect(page.get_by_test_id("vote-B")).to_be_disabled()
    ARTIFACTS.mkdir(exist_ok=True)
    composer = page.locator("#composer").bounding_box()
    clip = {"x": 0, "y": 0, "width": 1280, "height": composer["y"] + composer["height"] + 12}
    # The README's docs/screenshot-battle.png is a copy of this one.
    page.screenshot(path=str(ARTIFACTS / "battle-anonymous.png"), clip=clip)

    total_after, votes_after = leaderboard_votes(page, arena_server)
    snap(page, "leaderboard-after-vote", full_page=True)
    assert total_after == total_before + 1
    for name in names:
        slug = DEMO_SLUG[name]
        assert votes_after[slug] == votes_before.get(slug, 0) + 1


def test_named_three_way_round_with_round_settings(page: Page, arena_server: ArenaServer) -> None:
    slugs = [m["slug"] for m in DEMO_MODELS]
    open_arena(page, "named")
    pick_models(page, slugs)
    page.locator("#p-max_new_tokens").fill("24")
    send_prompt(page, "What is a rainbow?")
    picked = page.locator("#model-picker option:checked").all_inner_texts()  # columns follow the picker's order
    assert sorted(picked) == sorted(DEMO_SLUG)
    for label, name in zip("ABC", picked, strict=True):
        expect(page.get_by_test_id(f"model-name-{label}")).to_have_text(name)  # named from the start
    assert wait_finished(page, "ABC") == {"A": "done", "B": "done", "C": "done"}

    for label in "ABC":
        expect(page.get_by_test_id(f"vote-{label}")).to_have_count(1)
        expect(page.get_by_test_id(f"vote-{label}")).to_be_visible()
    page.get_by_test_id("vote-B").click()
    expect(page.get_by_test_id("vote-result")).to_contain_text("vote is stored")
    expect(page.get_by_test_id("error")).to_be_empty()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "battle-named-3way.png"), full_page=True)

    conversation = conversation_id(page).replace("-", "")
    params = arena_server.query(
        """SELECT a.params FROM arena_answer a JOIN arena_turn t ON a.turn_id = t.id
           WHERE t.conversation_id = ?""", conversation,
    )
    assert [json.loads(p)["max_new_tokens"] for (p,) in params] == [24, 24, 24]
    vote = arena_server.query(
        """SELECT v.winner, v.ranking FROM arena_vote v JOIN arena_turn t ON v.turn_id = t.id
           WHERE t.conversation_id = ?""",
        conversation,
    )
    assert [(winner, json.loads(ranking)) for winner, ranking in vote] == [("best", ["B"])]


def test_no_model_identity_reaches_the_browser_before_the_vote(page: Page, arena_server: ArenaServer) -> None:
    frames: list[str] = []
    responses = []
    page.on("websocket", lambda ws: record_frames(ws, frames))
    page.on("response", lambda r: responses.append(r))
    open_arena(page)
    send_prompt(page, PROMPT)
    assert wait_finished(page, "AB") == {"A": "done", "B": "done"}
    href = page.locator("#conversation-link a").get_attribute("href")
    # The transcript, in another tab of the same visitor, is part of what can be seen before the vote.
    transcript = page.context.new_page()
    transcript.on("response", lambda r: responses.append(r))
    transcript.goto(href)
    expect(transcript.locator("main")).to_contain_text(PROMPT)
    snap(transcript, "transcript-before-vote", full_page=True)
    bodies = [
        f"{r.url}\n{r.text()}" for r in responses
        if r.request.resource_type in {"document", "script", "stylesheet", "fetch", "xhr"}
    ]
    transcript.close()
    seen_before_vote = "\n".join([*map(str, frames), *bodies])
    assert '"type": "token"' in seen_before_vote and "arena.js" in seen_before_vote  # the recording worked
    assert not [r.url for r in responses if "/api/models/" in r.url]  # the page never asked for model names

    rows = arena_server.query(
        """SELECT l.name, l.slug, l.aliases FROM arena_participant p JOIN arena_llm l ON p.llm_id = l.id
           WHERE p.conversation_id = ?""", href.strip("/").split("/")[-1].replace("-", ""),
    )
    assert len(rows) == 2
    secrets = {s.strip() for row in rows for value in row for s in value.split(",") if s.strip()}
    leaked = sorted(s for s in secrets if re.search(re.escape(s), seen_before_vote, re.IGNORECASE))
    assert leaked == [], f"model identity reached the browser before the vote: {leaked}"

    # The same scan finds the names once the vote reveals them, so it would have found a leak.
    before_vote = len(frames)
    page.get_by_test_id("vote-tie").click()
    expect(page.get_by_test_id("vote-result")).to_contain_text("vote is stored")
    after_vote = "\n".join(map(str, frames[before_vote:]))
    assert all(name in after_vote for name, _, _ in rows)
