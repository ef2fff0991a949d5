"""The plugin's own pages in headless Chromium: prominence, status actions, the form, a11y.

The checkout pages run in their plain layout (no shop around them: ``plugin_app``)
against the session's sandbox, and the shopper goes through them as a person would.
Every page is checked at 1280 and 390 px (axe-core 0 violations, no sideways
scroll, a screenshot under ``artifacts/plugin-*``), and wherever a rate or a cost
of credit is shown the representative example's computed font size and weight are
at least those of the rate text (CONC 3.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import ANSWERS

from dividebuy_checkout.backoffice import BackOfficeService
from dividebuy_checkout.sandbox import SandboxServer

from .axe import check_page as check_at_each_width
from .plugin_app import PluginShop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: the interest-bearing terms (24 and 36 months at 9.9 %) start at £1,000
FINANCED = "2000.00"

#: text nodes inside *rates* that state a rate or an amount, and every text node of the
#: visible examples: [font size px, font weight] of each
_STYLES = """([exampleSel, rateSel]) => {
  const visible = (e) => e.getClientRects().length > 0;
  const styles = (root, pattern) => {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const text = walker.currentNode.textContent;
      if (!text.trim() || (pattern && !pattern.test(text))) continue;
      const s = getComputedStyle(walker.currentNode.parentElement);
      found.push([parseFloat(s.fontSize), parseInt(s.fontWeight, 10), text.trim().slice(0, 40)]);
    }
    return found;
  };
  const all = (sel) => [...document.querySelectorAll(sel)].filter(visible);
  return {
    example: all(exampleSel).flatMap((e) => styles(e, null)),
    rates: all(rateSel).flatMap((e) => styles(e, /APR|%|£/)),
  };
}"""


def assert_example_prominent(page: Any, example: str, rates: str) -> None:
    """The example's smallest, lightest text is no smaller or lighter than any rate text."""
    found = page.evaluate(_STYLES, [example, rates])
    assert found["example"], f"no visible representative example ({example})"
    assert found["rates"], f"no visible rate ({rates})"
    smallest = min(size for size, _, _ in found["example"])
    lightest = min(weight for _, weight, _ in found["example"])
    for size, weight, text in found["rates"]:
        assert smallest >= size, f"example {smallest}px < rate {size}px ({text!r})"
        assert lightest >= weight, f"example weight {lightest} < rate {weight} ({text!r})"


@pytest.fixture(scope="module")
def shop(
    sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PluginShop]:
    running = PluginShop(sandbox_server.url, tmp_path_factory.mktemp("plugin-pages"))
    yield running
    running.close()


def check_page(page: Any, artifacts: Path, name: str) -> None:
    try:
        check_at_each_width(page, artifacts, f"plugin-{name}")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})


def open_form(page: Any, shop: PluginShop, order_id: str) -> None:
    page.goto(f"{shop.url}/start/{order_id}")
    page.locator("form [name=submit]").wait_for()


def fill_form(page: Any, **answers: str) -> None:
    """The application form, whatever control each answer is (select, radio, text)."""
    for name, value in {**ANSWERS, **answers}.items():
        controls = page.locator(f"form [name='{name}']")
        if controls.count() == 0:
            continue
        first = controls.first
        kind = first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind.startswith("select"):
            first.select_option(value)
        elif kind.endswith(":radio"):
            page.locator(f"form [name='{name}'][value='{value}']").check()
        else:
            first.fill(value)


def submit(page: Any) -> None:
    page.locator("form [name=submit]").click()
    page.wait_for_load_state()


def press_at_dividebuy(page: Any, shop: PluginShop, action: str) -> None:
    page.locator(f"form[action$='/{action}'] [type=submit]").click()
    page.wait_for_url(lambda url: url.startswith(shop.url + "/"))
    page.wait_for_load_state()


def links_and_buttons(page: Any) -> list[str]:
    """The actions the page's main content offers, by their text."""
    return page.locator("main a, main button").all_inner_texts()


# -- prominence ---------------------------------------------------------------------------------


def test_the_widget_and_its_calculator_show_the_example_as_prominently_as_the_rate(
    page: Any, shop: PluginShop, artifacts: Path
):
    page.goto(f"{shop.url}/product/{FINANCED}")
    page.locator(".dbw__example--lead").wait_for()
    assert "36 months" in page.locator(".dbw__example--lead").inner_text()
    assert "representative" in page.locator(".dbw__example--lead").inner_text().lower()
    assert_example_prominent(page, ".dbw__example--lead", ".dbw__offer")
    check_page(page, artifacts, "widget")
    page.locator(".dbw__trigger").click()
    page.locator("dialog.dbw__dialog").wait_for()
    assert_example_prominent(
        page, "dialog .dbw__example", "dialog .dbw__choice, dialog .dbw__result"
    )
    check_page(page, artifacts, "calculator")
    page.keyboard.press("Escape")
    # rendered in the browser from the JSON endpoint: the same caption and prominence
    page.evaluate("document.querySelector('dividebuy-instalments').amount = '2697.00'")
    page.wait_for_function(
        "() => document.querySelector('.dbw__offer')?.textContent.includes('£85.69')"
    )
    lead = page.locator(".dbw__example--lead").inner_text()
    assert lead.startswith("Representative example over 36 months") and "£2,697.00" in lead
    assert_example_prominent(page, ".dbw__example--lead", ".dbw__offer")


def test_the_form_puts_the_example_beside_its_term_choices(
    page: Any, shop: PluginShop, artifacts: Path
):
    open_form(page, shop, shop.order(FINANCED))
    example = page.locator("#dividebuy-example").inner_text()
    labels = page.locator(".dividebuy-radio label").all_inner_texts()
    check_page(page, artifacts, "apply")

    assert "Representative example over 36 months" in example
    assert "£63.54" in example and "9.9% APR" in example  # the 36-month term's figures
    assert "36 months: £63.54 a month, 9.9% APR representative, £2,287.56 in all" in labels
    assert "12 months: £166.67 a month, interest-free" in labels  # the cash price: £2,000
    assert_example_prominent(page, "#dividebuy-example", ".dividebuy-radio label")
    described = page.locator("fieldset.dividebuy-fieldset:has(#term-0)").get_attribute(
        "aria-describedby"
    )
    assert "dividebuy-example" in described.split()


def test_an_interest_free_only_form_shows_no_example(page: Any, shop: PluginShop):
    open_form(page, shop, shop.order("899.00"))
    labels = page.locator(".dividebuy-radio:has([name=term]) label").all_inner_texts()
    assert labels and all(label.endswith("interest-free") for label in labels)
    assert page.locator(".dividebuy-example").count() == 0


# -- the application form -----------------------------------------------------------------------


def test_form_errors_speak_of_the_boxes_and_the_summary_follows_the_page(
    page: Any, shop: PluginShop, artifacts: Path
):
    open_form(page, shop, shop.order(FINANCED))
    fill_form(page, dob_month="13", nationality="Brit", address_years="2", address_months="14")
    submit(page)
    summary = page.locator("#dividebuy-error-summary")
    summary.wait_for()
    focused = page.evaluate("() => document.activeElement.id")
    links = summary.locator("a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    in_page_order = page.evaluate(
        """(ids) => ids.every((id, i) => i === 0 || (document.getElementById(ids[i - 1])
              .compareDocumentPosition(document.getElementById(id)) & 4))""",
        [link[1:] for link in links],
    )
    text = summary.inner_text()
    invalid = page.eval_on_selector_all(
        "#dob_day, #dob_month, #dob_year, #address_years, #address_months",
        "els => els.filter(e => e.getAttribute('aria-invalid') === 'true').map(e => e.id)",
    )
    check_page(page, artifacts, "apply-errors")
    summary.locator("a[href='#address_months']").click()
    after_click = page.evaluate("() => document.activeElement.id")

    assert focused == "dividebuy-error-summary"
    assert links[:3] == ["#dob_month", "#nationality", "#address_months"]
    assert in_page_order, links
    assert "Date of birth must be a real date" in text and "YYYY" not in text
    assert "Enter a nationality from the list, like British" in text
    assert "Enter the months as a whole number from 0 to 11" in text
    assert invalid == ["dob_month", "address_months"]  # the box to correct, not its group
    assert after_click == "address_months"
    assert page.locator("#nationality").input_value() == "Brit"  # kept
    assert page.title().startswith("Error: ")


def test_a_missing_part_of_the_date_of_birth_is_named(page: Any, shop: PluginShop):
    open_form(page, shop, shop.order(FINANCED))
    fill_form(page, dob_day="", dob_year="85")
    submit(page)
    summary = page.locator("#dividebuy-error-summary")
    assert "Date of birth must include a day" in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#dob_day"


def test_nationality_is_typed_with_british_first_and_checked_by_the_server(
    browser: Any, shop: PluginShop
):
    order_id = shop.order(FINANCED)
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        open_form(page, shop, order_id)
        field = page.locator("#nationality")
        options = page.locator(f"datalist#{field.get_attribute('list')} option")
        first = options.first.get_attribute("value")
        count = options.count()
        fill_form(page, nationality="british")  # any case: sent in the list's spelling
        submit(page)
        at_dividebuy = not page.url.startswith(shop.url)
    finally:
        context.close()

    assert first == "British" and count > 200  # the gov.uk list, British first
    assert at_dividebuy  # accepted without JavaScript: on to DivideBuy's page


def test_every_contact_and_address_field_has_an_autocomplete_token(page: Any, shop: PluginShop):
    open_form(page, shop, shop.order(FINANCED, postcode="NOT A POSTCODE"))  # address asked
    # the contact details, the address and the previous addresses (every box but the
    # income, home and instalment questions, which no browser could fill in)
    fields = ", ".join(
        f"fieldset:has(h2:text-is('{section}')) input:not([type=radio]):not([type=submit])"
        for section in ("About you", "Your address", "Previous addresses")
    )
    tokens = dict(
        page.eval_on_selector_all(
            fields, "els => els.map(e => [e.id, e.getAttribute('autocomplete')])"
        )
    )
    assert all(tokens.values()), tokens
    assert tokens["address_line_1"] == "address-line1"
    assert tokens["postcode"] == "postal-code"
    assert tokens["town"] == "address-level2"
    assert tokens["previous-0-postcode"] == "section-previous-0 postal-code"
    assert tokens["dob_year"] == "bday-year"


def test_adding_a_previous_address_keeps_the_shoppers_place(page: Any, shop: PluginShop):
    open_form(page, shop, shop.order(FINANCED))
    fill_form(page, address_years="1", address_months="0")
    page.get_by_role("button", name="Add another previous address").click()
    page.locator("#previous-1").wait_for()
    focused = page.evaluate("() => document.activeElement.id")
    assert page.url.endswith("#previous-1-house_number")
    assert focused == "previous-1-house_number"
    assert page.locator("#address_years").input_value() == "1"  # what was typed is kept


# -- pages that act on the checkout's status ------------------------------------------------------


def test_a_declined_application_offers_only_other_ways_to_pay(
    page: Any, shop: PluginShop, artifacts: Path
):
    order_id = shop.order(FINANCED, last_name="Declined")
    open_form(page, shop, order_id)
    fill_form(page)
    submit(page)
    page.get_by_role("heading", name="DivideBuy cannot offer you finance this time").wait_for()
    check_page(page, artifacts, "declined")
    actions = links_and_buttons(page)
    page.goto(f"{shop.url}/start/{order_id}")  # the same order and amount again
    heading_again = page.locator("h1").inner_text()
    has_form = page.locator("form [name=submit]").count()

    assert actions == ["Choose another way to pay"]
    assert heading_again == "DivideBuy cannot offer you finance this time"
    assert has_form == 0


def test_a_referred_application_says_what_happens_next_and_can_be_cancelled(
    page: Any, shop: PluginShop, artifacts: Path
):
    order_id = shop.order(FINANCED, last_name="Referred")
    open_form(page, shop, order_id)
    fill_form(page)
    submit(page)
    page.goto(shop.return_url(order_id))
    page.get_by_role("heading", name="A guarantor is needed").wait_for()
    text = page.inner_text("main")
    actions = links_and_buttons(page)
    check_page(page, artifacts, "referred")
    page.get_by_role("button", name="Cancel this application").click()
    page.get_by_role("heading", name="You cancelled your DivideBuy application").wait_for()
    check_page(page, artifacts, "cancelled")
    after = links_and_buttons(page)

    assert "Nothing has been paid yet" in text and "a few working days" in text
    assert actions == ["Cancel this application"]  # nothing to pay, nothing to continue
    assert after == ["Apply with DivideBuy again", "Choose another way to pay"]
    assert shop.service.status(order_id).status.value == "cancelled"


def test_an_unsigned_application_offers_to_continue_or_cancel(
    page: Any, shop: PluginShop, artifacts: Path
):
    order_id = shop.order(FINANCED)
    open_form(page, shop, order_id)
    fill_form(page)
    submit(page)  # now at DivideBuy's page; the shopper comes back without signing
    page.goto(shop.return_url(order_id))
    page.get_by_role("heading", name="Your application is not finished yet").wait_for()
    check_page(page, artifacts, "pending")

    assert links_and_buttons(page) == [
        "Continue your application at DivideBuy",
        "Cancel this application",
    ]
    assert "What happens next" in page.inner_text("main")


def test_the_cancel_button_needs_the_pages_csrf_token(page: Any, shop: PluginShop):
    order_id = shop.order(FINANCED)
    open_form(page, shop, order_id)
    fill_form(page)
    submit(page)
    url = shop.return_url(order_id).replace("/return?", "/cancel?")
    response = page.request.post(url, form={"csrf_token": "forged"})
    assert response.status == 400
    assert shop.service.status(order_id).status.value == "pending"  # nothing changed


def test_a_completed_application_shows_the_repayment_plan(
    page: Any, shop: PluginShop, artifacts: Path
):
    order_id = shop.order(FINANCED)
    open_form(page, shop, order_id)
    fill_form(page, term="36")
    submit(page)
    press_at_dividebuy(page, shop, "complete")
    page.get_by_role("heading", name="Thank you: your order is paid").wait_for()
    check_page(page, artifacts, "completed")
    plan = {
        name: page.locator(f"#dividebuy-plan-{name}").inner_text()
        for name in ("paid-today", "monthly", "payments", "total", "rate")
    }

    # the sandbox's exact figures for £2,000.00 over 36 months at 9.9 % APR
    assert plan == {
        "paid-today": "£63.54",
        "monthly": "£63.54, on the day of the month you chose, with a final payment of £63.66",
        "payments": "36, including today's",
        "total": "£2,287.56",
        "rate": "£287.56, at 9.9% APR representative",
    }
    assert (
        "Representative example over 36 months" in page.locator("#dividebuy-example").inner_text()
    )
    assert_example_prominent(page, "#dividebuy-example", "#dividebuy-plan dd")
    assert links_and_buttons(page) == []  # paid: nothing left to do
    assert page.locator("#dividebuy-plan-refunded").count() == 0

    state = shop.app.extensions["dividebuy"]
    BackOfficeService(state.client, state.store, state.store).refund(order_id, "100.00")
    page.reload()
    assert page.locator("#dividebuy-plan-refunded").inner_text() == "£100.00"


# -- the other pages ------------------------------------------------------------------------------


def test_not_available_and_problem_pages(page: Any, shop: PluginShop, artifacts: Path):
    page.goto(f"{shop.url}/start/{shop.order('100.00')}")
    page.get_by_role("heading", name="DivideBuy is not available for this order").wait_for()
    check_page(page, artifacts, "not-available")
    page.goto(f"{shop.url}/dividebuy/return?ref=forged")
    page.get_by_role("heading", name="This link is not valid").wait_for()
    check_page(page, artifacts, "problem")


def test_an_expired_application_lets_the_shopper_start_again(
    page: Any, shop: PluginShop, sandbox_server: SandboxServer, artifacts: Path
):
    order_id = shop.order(FINANCED)
    open_form(page, shop, order_id)
    fill_form(page)
    submit(page)  # at DivideBuy's page, and the shopper never signs
    sandbox_server.state.expire_quote(shop.service.status(order_id).quote_id)
    page.goto(shop.return_url(order_id))
    page.get_by_role("heading", name="Your DivideBuy application expired").wait_for()
    check_page(page, artifacts, "expired")

    assert links_and_buttons(page) == [
        "Start a new DivideBuy application",
        "Choose another way to pay",
    ]
    page.get_by_role("link", name="Start a new DivideBuy application").click()
    page.locator("form [name=submit]").wait_for()  # a fresh form for the same order
