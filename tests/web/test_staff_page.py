"""The staff page (Customer 360) in a real browser, against the real service and Neo4j,
on the demo data, at tablet portrait and desktop sizes."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from devtools.demo import Dataset
from service.identity.contract import item_key
from service.identity.identifiers import normalize
from tests.web.conftest import SIZES, Ui

pytestmark = pytest.mark.parametrize("size", list(SIZES))

#: The sofa buyer's phone as a customer says it from abroad.
SOFA_PHONE = "0034 600 12 34 56"

PERSONS = """
query($identifier: IdentifierInput!) { persons(identifier: $identifier) { id } }"""
EVENTS = """
mutation($items: [EventInput!]!) {
  recordEvents(items: $items) { status personId error { message } }
}"""


def store_phone(demo: Dataset) -> str:
    """A store's own phone: the phone number typed for the most real customers (at the
    till, for customers who gave none), as the demo spells it."""
    customers: dict[str, set[str]] = defaultdict(set)
    spelled: dict[str, str] = {}
    for item in demo.items:
        for identifier in item["identifiers"]:
            if identifier["type"] != "PHONE":
                continue
            value = normalize("PHONE", identifier["value"], region=item.get("country")).value
            customers[value].add(demo.truth[item_key(item["kind"], item["source"], item["id"])])
            spelled.setdefault(value, identifier["value"])
    phone = max(customers, key=lambda value: len(customers[value]))
    assert len(customers[phone]) >= 5, "the demo has no phone shared by a store's customers"
    return spelled[phone]


async def show_sofa_buyer(ui: Ui) -> None:
    await ui.sign_in()
    await ui.search(SOFA_PHONE)
    assert await ui.view() == "person"


async def test_sofa_buyer_by_phone(ui: Ui) -> None:
    page = ui.page
    await ui.shot("sign-in")
    await show_sofa_buyer(ui)
    await ui.shot("person")

    assert await page.locator("[data-testid=person]").count() == 1
    assert await page.locator(".identifier-group[data-type=EMAIL] li.identifier").count() == 3
    assert await page.locator(".identifier-group[data-type=ADDRESS] li.identifier").count() == 2
    assert await page.locator(".identifier-group[data-type=PHONE] li.identifier").count() == 1
    addresses = page.locator(".identifier-group[data-type=ADDRESS] .flag.nonlinking")
    assert await addresses.count() == 2
    assert "link on its own" in (await addresses.first.get_attribute("title") or "")
    assert await page.locator("li.record").count() == 3
    assert await page.get_by_test_id("person-name").inner_text() == "Ana Silva"

    order = page.locator("li.event[data-channel=WEB][data-type=order]")
    assert await order.count() == 1
    assert "eshop · ORD-50001417" in await order.inner_text()
    assert await page.get_by_test_id("handoff").count() >= 1

    # the order's details, then back with Escape
    await order.locator("button").click()
    dialog = page.locator("dialog.details")
    await dialog.wait_for(state="visible")
    assert "Sofa Nap 3-seater" in await dialog.inner_text()
    await ui.shot("event-details")
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    # by keyboard: focus is back on the event, Enter opens it again
    assert await page.evaluate("() => document.activeElement.closest('li.event')?.dataset.type")
    await page.keyboard.press("Enter")
    await dialog.wait_for(state="visible")
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")

    # only the store
    await page.locator("[data-filter-channel=STORE]").click()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('li.event')].every(e => e.dataset.channel === 'STORE')"
        " && document.querySelectorAll('li.event').length === 2"
    )
    await ui.shot("store-only")

    # why are the office email and the home email one person?
    await page.select_option("#explain-a", label="Email: asilva@bufete-mayor.es")
    await page.select_option("#explain-b", label="Email: anasilva.casa@gmail.com")
    await page.get_by_role("button", name="Show the chain").click()
    steps = page.locator(".explain-steps li")
    await steps.first.wait_for()
    texts = await steps.all_inner_texts()
    assert texts[0] == "Email asilva@bufete-mayor.es"
    assert texts[-1] == "Email anasilvacasa@gmail.com"
    assert any("+34600123456" in text for text in texts)
    await page.locator("[data-testid=explain-graph] canvas").first.wait_for()
    await page.locator("[data-testid=explain-result]").scroll_into_view_if_needed()
    await ui.shot("explain")


async def test_store_phone_lists_candidates(ui: Ui, demo: Dataset) -> None:
    phone = store_phone(demo)
    expected = await ui.service.gql(PERSONS, {"identifier": {"type": "PHONE", "value": phone}})
    persons = len(expected["data"]["persons"])
    assert persons > 1
    await ui.sign_in()
    await ui.search(phone)
    assert await ui.view() == "candidates"
    assert await ui.page.locator("[data-testid=person]").count() == 0
    assert await ui.page.get_by_test_id("candidate").count() == persons
    assert f"{persons} customers share this phone" in await ui.page.inner_text("h2")
    await ui.shot("candidates")

    await ui.page.get_by_test_id("candidate").first.click()
    await ui.page.get_by_test_id("person").wait_for()
    await ui.shot("picked")


async def test_new_event_appears_live(ui: Ui) -> None:
    await show_sofa_buyer(ui)
    await ui.page.locator("[data-testid=live][data-state=live]").wait_for()
    event_id = f"chat-{uuid.uuid4().hex[:10]}"
    item = {
        "source": "chat",
        "id": event_id,
        "channel": "CHAT",
        "type": "chat",
        "at": datetime.now(UTC).isoformat(),
        "identifiers": [{"type": "EMAIL", "value": "AnaSilva.Casa@gmail.com"}],
        "attributes": {"reason": "delivery date of the sofa"},
    }
    answer = await ui.service.gql(EVENTS, {"items": [item]})
    assert answer["data"]["recordEvents"][0]["status"] == "OK"
    person = await ui.page.get_by_test_id("person").get_attribute("data-person-id")
    assert answer["data"]["recordEvents"][0]["personId"] == person
    committed = time.perf_counter()
    row = ui.page.locator(f'li.event[data-event-id="{event_id}"]')
    await row.wait_for(timeout=1_000)
    seen = time.perf_counter() - committed
    assert seen < 1.0
    assert await ui.page.locator("li.event").first.get_attribute("data-event-id") == event_id
    assert "delivery date of the sofa" in await row.inner_text()
    await ui.shot("live-event")


async def test_journey_pages_as_it_scrolls(ui: Ui) -> None:
    email = f"pages.{uuid.uuid4().hex[:8]}@example.org"
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    items = [
        {
            "source": "eshop",
            "id": f"pv-{email}-{n}",
            "channel": "WEB" if n % 3 else "APP",
            "type": "page_view",
            "at": (start + timedelta(hours=n)).isoformat(),
            "identifiers": [{"type": "EMAIL", "value": email}],
            "attributes": {"page": f"/page/{n}"},
        }
        for n in range(32)
    ]
    answer = await ui.service.gql(EVENTS, {"items": items})
    assert {r["status"] for r in answer["data"]["recordEvents"]} == {"OK"}
    await ui.sign_in()
    await ui.search(email)
    assert await ui.view() == "person"
    events = ui.page.locator("li.event")
    assert await events.count() == 25  # the first page
    await ui.page.locator(".sentinel").scroll_into_view_if_needed()
    await ui.page.get_by_text("Start of the journey.").wait_for()
    assert await events.count() == 32
    ids = [await e.get_attribute("data-event-id") for e in await events.all()]
    assert ids == [f"pv-{email}-{n}" for n in reversed(range(32))]  # newest first
    await ui.shot("all-pages")

    # only the app: the filter pages from the server too
    await ui.page.locator("[data-filter-channel=APP]").click()
    await ui.page.wait_for_function(
        "() => document.querySelectorAll('li.event').length === 11"
        " && [...document.querySelectorAll('li.event')].every(e => e.dataset.channel === 'APP')"
    )


async def test_readable_messages(ui: Ui) -> None:
    page = ui.page
    await ui.sign_in("not-a-key")
    error = page.get_by_test_id("signin-error")
    await error.wait_for()
    assert "refused" in await error.inner_text()
    assert await page.evaluate("() => sessionStorage.length") == 0
    await ui.shot("key-refused")

    await ui.sign_in()
    await ui.search("Ana Silva")
    assert await ui.view() == "invalid"
    assert "A name is not enough" in await page.get_by_test_id("invalid").inner_text()
    await ui.shot("name-only")

    await ui.search("nobody.here@example.org")
    assert await ui.view() == "notFound"
    found = await page.get_by_test_id("not-found").inner_text()
    assert "No customer is known by this email" in found
    await ui.shot("nothing-found")

    # only the key, only for the session; nothing personal in the address bar
    assert await page.evaluate("() => Object.keys(sessionStorage)") == ["omnid.apiKey"]
    assert await page.evaluate("() => localStorage.length") == 0
    assert page.url == f"{ui.service.url}/app/"


async def test_service_down_then_back(ui: Ui) -> None:
    page = ui.page
    await show_sofa_buyer(ui)
    await page.locator("[data-testid=live][data-state=live]").wait_for()

    await ui.service.stop()
    problem = page.get_by_test_id("problem")
    await problem.wait_for(timeout=5_000)
    assert "not answering" in await problem.inner_text()
    await ui.shot("service-down")
    # a search meanwhile waits for omnid, saying so
    await page.fill("#search-value", "jonas.becker@web.de")
    await page.press("#search-value", "Enter")
    await page.wait_for_timeout(300)
    assert "not answering" in await problem.inner_text()
    await ui.shot("search-while-down")

    await ui.service.start()
    await problem.wait_for(state="detached", timeout=10_000)
    await page.locator("[data-testid=live][data-state=live]").wait_for(timeout=10_000)
    # the search that failed was done once omnid answered again
    assert await ui.view() == "person"
    assert await page.get_by_test_id("person-name").inner_text() == "Jonas Becker"
    await ui.shot("service-back")
