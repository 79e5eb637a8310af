"""The leaderboard page in headless Chromium: the table, the three SVG charts, no CDN, and the filter form."""

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from arena.services import leaderboard
from tests.browser.conftest import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def browser(chromium_path: str, boards: None) -> Iterator[Browser]:
    """Started after the data: Playwright's sync API runs an event loop in this thread, and Django refuses
    ORM calls from a thread with a running loop."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def boards(licensed_models, counted) -> None:
    """Three human models (one not for commercial use), two judged ones; two snapshots each for the history."""
    counted("human", date(2026, 3, 1), "open-a", "open-b", model_a=30, model_b=12, tie=4)
    counted("human", date(2026, 3, 2), "open-b", "research-c", model_a=18, model_b=15)
    counted("human", date(2026, 3, 3), "research-c", "open-a", model_a=6, model_b=21, bothbad=2)
    counted("judge", date(2026, 3, 3), "research-c", "open-a", model_a=9, model_b=3)
    leaderboard.refresh_all()
    counted("human", date(2026, 3, 4), "open-a", "research-c", model_a=5)
    leaderboard.refresh_all()


def open_page(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    return page, requested


def table_models(page: Page) -> list[str]:
    return page.locator("[data-testid=leaderboard-table] tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.model)"
    )


def test_table_and_charts_render_from_the_server_alone(live_server, browser) -> None:
    page, requested = open_page(browser, f"{live_server.url}/leaderboard/")
    assert table_models(page) == ["open-a", "open-b", "research-c"]
    assert page.get_by_test_id("votes-open-a").inner_text() == "80"
    assert page.get_by_test_id("vote-count").inner_text() == "113"
    for chart in ("ratings-chart", "winrate-heatmap", "history-chart"):
        svg = page.locator(f"svg[data-testid={chart}]")
        assert svg.is_visible(), chart
        assert svg.bounding_box()["width"] > 100, chart
    assert page.locator("svg[data-testid=ratings-chart] circle").count() == 3
    assert page.locator("svg[data-testid=ratings-chart] line").count() == 3
    assert page.locator("svg[data-testid=winrate-heatmap] rect").count() == 9
    assert page.locator("svg[data-testid=history-chart] polyline").count() == 3
    assert all(url.startswith(live_server.url) for url in requested), requested
    page.close()


def test_the_filter_form_changes_the_table(live_server, browser) -> None:
    page, _ = open_page(browser, f"{live_server.url}/leaderboard/")
    page.select_option("select[name=source]", "judge")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**source=judge**")
    assert table_models(page) == ["research-c", "open-a"]
    assert page.get_by_test_id("vote-count").inner_text() == "12"

    page.select_option("select[name=source]", "human")
    page.check("input[name=commercial]")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**commercial=1**")
    assert table_models(page) == ["open-a", "open-b"]
    assert page.locator("svg[data-testid=winrate-heatmap] rect").count() == 4

    page.uncheck("input[name=commercial]")
    page.fill("input[name=to]", "2026-03-01")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**to=2026-03-01**")
    assert table_models(page) == ["open-a", "open-b"]
    assert page.get_by_test_id("votes-open-b").inner_text() == "46"
    csv_link = page.get_by_test_id("csv-link").get_attribute("href")
    assert csv_link.startswith("/leaderboard.csv?") and "to=2026-03-01" in csv_link
    page.close()


def test_an_empty_source_says_so_instead_of_an_empty_table(live_server, browser) -> None:
    page, _ = open_page(browser, f"{live_server.url}/leaderboard/?source=imported")
    assert page.get_by_test_id("leaderboard-empty").is_visible()
    assert page.locator("[data-testid=leaderboard-table]").count() == 0
    page.close()
