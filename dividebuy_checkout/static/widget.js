// <dividebuy-instalments amount="2000.00"> — DivideBuy instalment widget (dividebuy-checkout).
//
// An ES module with no dependencies, served by the shop itself: no third-party requests, no
// inline scripts or styles (it works under `script-src 'self'; style-src 'self'`).
//
// - Upgrades the server-rendered widget in place: the "See all instalment options"
//   disclosure opens a modal calculator dialog instead (focus moves in, Tab stays inside,
//   Esc closes, focus returns to the trigger).
// - Re-renders from the blueprint's JSON endpoint when `amount` changes (a variant switch),
//   or when `price-source` names a <select> whose options carry `data-amount` (or a quantity
//   input, with `unit-amount`). `refresh()` asks again.
// - Text from the endpoint is only ever set with textContent; money is formatted by the
//   server (this file never formats or rounds money).
// - Hidden (the `hidden` attribute) when the price is not eligible or DivideBuy is unavailable.

const ENDPOINT = new URL("../widget/terms", import.meta.url);
const DEFAULT_LABELS = { close: "Close", choose: "Choose how many months" };
let counter = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

// "899.00" × "3" → "2697.00", exactly (whole pence; no binary fractions).
function times(unit, quantity) {
  const price = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(unit || "");
  if (!price || !/^\d{1,4}$/.test(quantity || "") || Number(quantity) < 1) return null;
  const pence = (Number(price[1]) * 100 + Number((price[2] || "").padEnd(2, "0"))) * Number(quantity);
  return `${Math.floor(pence / 100)}.${String(pence % 100).padStart(2, "0")}`;
}

// The representative example: its caption (duration, "representative") then DivideBuy's words.
function example(data, className) {
  const box = el("div", className);
  box.append(el("p", "dbw__example-caption", data.text.example_caption), el("p", "", data.example.text));
  return box;
}

const CELLS = ["first_text", "regular_plan_text", "final_text", "total_payable_text", "interest_text"];

// The same markup as templates/dividebuy/widget/widget.html and _panel.html, from the JSON.
function build(data) {
  const text = data.text;
  const box = el("div", "dbw__box");
  const headline = el("p", "dbw__headline");
  const offer = el("span", data.headline.needs_example ? "dbw__offer dbw__offer--rate" : "dbw__offer", data.headline.text);
  headline.append(offer, " ", el("span", "dbw__brand", text.brand));
  box.append(headline);
  if (data.headline.needs_example && data.example) box.append(example(data, "dbw__example dbw__example--lead"));
  const scroll = el("div", "dbw__scroll");
  scroll.setAttribute("role", "region");
  scroll.setAttribute("aria-label", text.terms_label);
  scroll.tabIndex = 0;
  const table = el("table", "dbw__terms");
  const head = el("tr");
  for (const label of text.columns) {
    const th = el("th", "", label);
    th.scope = "col";
    head.append(th);
  }
  const body = el("tbody");
  for (const term of data.terms) {
    const row = el("tr", term.months === data.headline.months ? "dbw__term dbw__term--headline" : "dbw__term");
    row.dataset.months = term.months;
    const th = el("th", "", term.title);
    th.scope = "row";
    row.append(th, ...CELLS.map((key) => el("td", "", term[key])));
    body.append(row);
  }
  const thead = el("thead");
  thead.append(head);
  table.append(thead, body);
  scroll.append(table);
  const panel = el("div", "dbw__panel");
  panel.append(el("p", "dbw__title", text.dialog_title), scroll);
  if (data.example && !data.headline.needs_example) panel.append(example(data, "dbw__example"));
  const details = el("details", "dbw__calc");
  details.append(el("summary", "dbw__trigger", text.trigger), panel);
  box.append(details, el("p", "dbw__notice", text.credit_notice));
  return box;
}

// One term's figures as a list, labelled by the table's column headings.
function figures(row, labels) {
  const list = el("dl", "dbw__figures");
  [...row.cells].slice(1).forEach((cell, index) => {
    const line = el("div", index === 3 ? "dbw__row dbw__row--total" : "dbw__row");
    line.append(el("dt", "", labels[index + 1]), el("dd", "", cell.textContent));
    list.append(line);
  });
  return list;
}

function tabStops(dialog) {
  const nodes = dialog.querySelectorAll("button:not([disabled]), input:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])");
  return [...nodes].filter((node) => node.type !== "radio" || node.checked || !dialog.querySelector(`input[name="${node.name}"]:checked`));
}

export class DivideBuyInstalments extends HTMLElement {
  static observedAttributes = ["amount"];

  constructor() {
    super();
    this._id = `dbw-${++counter}`;
    this._request = null;
    this._shown = null; // the amount the current content is for
    this._pending = null; // the amount being fetched now
    this._dialog = null;
    this._follow = () => this._fromSource();
  }

  get amount() {
    return (this.getAttribute("amount") || "").trim();
  }

  set amount(value) {
    this.setAttribute("amount", String(value));
  }

  connectedCallback() {
    if (!this._status) {
      this._status = el("span", "dbw-sr-status");
      this._status.setAttribute("role", "status");
    }
    this.after(this._status);
    if (this.dataset.state) this._shown = this.amount; // server-rendered: nothing to fetch
    this._upgrade();
    this._watch();
    if (this._stale()) this._load(false);
  }

  /** Whether the amount shown, or being fetched, is not the one asked for now. */
  _stale() {
    return this.amount !== (this._request ? this._pending : this._shown);
  }

  disconnectedCallback() {
    if (this._request) this._request.abort();
    if (this._source) {
      this._source.removeEventListener("change", this._follow);
      this._source.removeEventListener("input", this._follow);
      this._source = null;
    }
    this._status.remove();
  }

  attributeChangedCallback(name, before, after) {
    if (this.isConnected && before !== after && this.amount !== this._shown) {
      // on upgrade this runs before connectedCallback, which loads the same amount: ask once
      queueMicrotask(() => this._stale() && this._load(false));
    }
  }

  /** Ask the server again (revalidating any cached answer); resolves with the JSON, or null. */
  refresh() {
    return this._load(true);
  }

  async _load(revalidate) {
    if (this._request) this._request.abort();
    const request = (this._request = new AbortController());
    const amount = (this._pending = this.amount);
    const url = new URL(this.getAttribute("src") || ENDPOINT, document.baseURI);
    url.searchParams.set("amount", amount);
    this.setAttribute("aria-busy", "true");
    let data = null;
    try {
      const response = await fetch(url, {
        signal: request.signal,
        cache: revalidate ? "no-cache" : "default",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) data = await response.json();
    } catch (error) {
      if (error.name === "AbortError") return null;
    }
    if (request !== this._request) return null;
    this._request = null;
    this.removeAttribute("aria-busy");
    this._render(amount, data);
    return data;
  }

  _render(amount, data) {
    if (this._dialog) this._dialog.close();
    this._shown = amount;
    const eligible = Boolean(data && data.eligible);
    this.dataset.state = data ? data.state || (eligible ? "shown" : "ineligible") : "unavailable";
    if (!eligible) {
      this.replaceChildren();
      this.hidden = true;
      this._status.textContent = "";
    } else {
      this.dataset.closeLabel = data.text.close;
      this.dataset.chooseLabel = data.text.choose;
      this.replaceChildren(build(data));
      this.hidden = false;
      this._upgrade();
      this._status.textContent = data.headline.text;
    }
    this.dispatchEvent(new CustomEvent("dividebuy:render", { bubbles: true, detail: data }));
  }

  // The disclosure's summary opens the dialog instead (same box: no layout shift).
  _upgrade() {
    const trigger = this.querySelector(".dbw__trigger");
    if (!trigger || trigger.dataset.upgraded) return;
    trigger.dataset.upgraded = "1";
    trigger.setAttribute("aria-haspopup", "dialog");
    trigger.addEventListener("click", (event) => {
      event.preventDefault();
      this.open();
    });
  }

  /** Open the calculator dialog (returns false when there is nothing to show). */
  open() {
    const panel = this.querySelector(".dbw__panel");
    const trigger = this.querySelector(".dbw__trigger");
    if (!panel || this._dialog) return false;
    const names = { close: this.dataset.closeLabel || DEFAULT_LABELS.close, choose: this.dataset.chooseLabel || DEFAULT_LABELS.choose };
    const dialog = el("dialog", "dbw__dialog");
    dialog.setAttribute("aria-labelledby", `${this._id}-title`);
    const head = el("div", "dbw__dialog-head");
    const heading = el("h2", "dbw__dialog-title", panel.querySelector(".dbw__title").textContent);
    heading.id = `${this._id}-title`;
    const close = el("button", "dbw__close", "×");
    close.type = "button";
    close.setAttribute("aria-label", names.close);
    close.addEventListener("click", () => dialog.close());
    head.append(heading, close);

    const choices = el("fieldset", "dbw__choices");
    choices.append(el("legend", "dbw__legend", names.choose));
    const result = el("div", "dbw__result");
    result.setAttribute("aria-live", "polite");
    const labels = [...panel.querySelectorAll("thead th")].map((th) => th.textContent);
    const terms = [...panel.querySelectorAll(".dbw__term")];
    const title = (term) => term.cells[0].textContent;
    const pick = (term) => result.replaceChildren(el("p", "dbw__term-title", title(term)), figures(term, labels));
    const chosen = terms.find((term) => term.classList.contains("dbw__term--headline")) || terms[0];
    for (const term of terms) {
      const choice = el("label", "dbw__choice");
      const input = el("input");
      input.type = "radio";
      input.name = `${this._id}-term`;
      input.value = term.dataset.months;
      input.checked = term === chosen;
      input.addEventListener("change", () => pick(term));
      choice.append(input, el("span", "", title(term)));
      choices.append(choice);
    }
    if (chosen) pick(chosen);
    dialog.append(head, choices, result);
    const example = this.querySelector(".dbw__example");
    if (example) dialog.append(example.cloneNode(true));
    const notice = this.querySelector(".dbw__notice");
    if (notice) dialog.append(notice.cloneNode(true));

    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        dialog.close();
      } else if (event.key === "Tab") {
        const stops = tabStops(dialog);
        const first = stops[0];
        const last = stops[stops.length - 1];
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    dialog.addEventListener("click", (event) => {
      // a click on the backdrop (outside the dialog's box) closes it
      const box = dialog.getBoundingClientRect();
      const outside = event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
      if (event.target === dialog && outside) dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      this._dialog = null;
      if (trigger && trigger.isConnected) trigger.focus();
    });
    this.append(dialog);
    this._dialog = dialog;
    dialog.showModal();
    (choices.querySelector("input:checked") || close).focus();
    return true;
  }

  _watch() {
    const id = this.getAttribute("price-source");
    const source = id ? document.getElementById(id) : null;
    if (!source || source === this._source) return;
    this._source = source;
    source.addEventListener("change", this._follow);
    source.addEventListener("input", this._follow);
  }

  _fromSource() {
    const source = this._source;
    const option = source.selectedOptions ? source.selectedOptions[0] : null;
    const amount = option && option.dataset.amount ? option.dataset.amount : times(this.getAttribute("unit-amount"), source.value);
    if (amount) this.amount = amount;
  }
}

if (!customElements.get("dividebuy-instalments")) {
  customElements.define("dividebuy-instalments", DivideBuyInstalments);
}
