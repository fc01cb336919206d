// Progressive enhancement only: the page works without this file.
(function () {
  "use strict";
  var form = document.getElementById("checkout");
  if (!form) { return; }

  // Show the fields of the chosen payment method; hidden ones are disabled so
  // that they are neither validated nor sent.
  var radios = form.querySelectorAll("input[data-method]");
  function showMethod() {
    var chosen = form.querySelector("input[data-method]:checked");
    var panels = form.querySelectorAll("[data-panel]");
    for (var i = 0; i < panels.length; i++) {
      var active = !chosen || panels[i].getAttribute("data-panel") === chosen.value;
      panels[i].hidden = !active;
      var inputs = panels[i].querySelectorAll("input");
      for (var j = 0; j < inputs.length; j++) {
        inputs[j].disabled = !active;
        if (panels[i].getAttribute("data-panel") === "card") { inputs[j].required = active; }
      }
    }
  }
  for (var k = 0; k < radios.length; k++) { radios[k].addEventListener("change", showMethod); }
  if (radios.length) { showMethod(); }

  // Enter in the promotion code field applies it; Enter anywhere else pays.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") { return; }
    var type = event.target.type;
    if (type === "radio" || type === "checkbox") { return; }
    event.preventDefault();
    if (event.target.hasAttribute("data-quantity")) {
      // Enter in a quantity field updates the total; it does not pay.
      event.target.dispatchEvent(new Event("change"));
      return;
    }
    var target = event.target.name === "code"
      ? form.querySelector("button[value=apply_code]")
      : document.getElementById("pay");
    if (target) { form.requestSubmit ? form.requestSubmit(target) : target.click(); }
  });

  // Group card digits as they are typed: 4242424242424242 -> 4242 4242 4242 4242.
  var number = document.getElementById("f-card_number");
  if (number) {
    number.addEventListener("input", function () {
      var digits = number.value.replace(/\D/g, "").slice(0, 19);
      var grouped = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
      if (grouped !== number.value) { number.value = grouped; }
    });
  }

  // One payment at a time: block a second click while the first is on its way.
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.id !== "pay") { return; }
    if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    form.setAttribute("aria-busy", "true");
    button.classList.add("busy");
  });

  // Totals follow every choice: the server prices the new selection and answers
  // the figures; the pay button and expected_amount change with them, so what is
  // charged is what is shown (a stale total is refused by the server: 409).
  var totalsUrl = form.getAttribute("data-totals");
  var expected = document.getElementById("expected-amount");
  var pay = document.getElementById("pay");
  function setRow(rowId, valueId, text) {
    var row = document.getElementById(rowId);
    var value = document.getElementById(valueId);
    if (value) { value.textContent = text || ""; }
    if (row) { row.hidden = !text; }
  }
  function showTotals(figures) {
    if (figures.free !== (expected.value === "0")) { window.location.reload(); return; }
    document.getElementById("subtotal").textContent = figures.subtotal;
    setRow("shipping-row", "shipping", figures.shipping);
    setRow("tax-row", "tax", figures.tax);
    var estimate = document.getElementById("delivery-estimate");
    if (estimate) { estimate.textContent = figures.delivery_estimate; }
    var lines = figures.lines || [];
    for (var l = 0; l < lines.length; l++) {
      var amount = document.getElementById("amount-" + lines[l].id);
      if (amount) { amount.textContent = lines[l].amount; }
    }
    document.getElementById("total").textContent = figures.total;
    expected.value = String(figures.amount_total);
    pay.textContent = figures.pay_label;
  }
  var quantities = form.querySelectorAll("input[data-quantity]");
  // One request at a time, each carrying every current choice: the last answer is
  // the server's figures for what the page shows now.
  var inFlight = false;
  var again = false;
  function refreshTotals() {
    if (inFlight) { again = true; return; }
    var body = new URLSearchParams();
    var csrf = form.querySelector("input[name=csrf_token]");
    body.append(csrf.name, csrf.value);
    var choice = form.querySelector("input[name=shipping_option]:checked");
    if (choice) { body.append(choice.name, choice.value); }
    for (var q = 0; q < quantities.length; q++) {
      body.append(quantities[q].name, quantities[q].value);
    }
    inFlight = true;
    pay.disabled = true;
    fetch(totalsUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("totals " + response.status); }
      return response.json();
    }).then(showTotals).catch(function () {
      // Without fresh figures the server still refuses a stale total when paying.
    }).then(function () {
      inFlight = false;
      if (again) { again = false; refreshTotals(); return; }
      pay.disabled = false;
    });
  }
  var shippingChoices = form.querySelectorAll("input[name=shipping_option]");
  for (var s = 0; s < shippingChoices.length; s++) {
    shippingChoices[s].addEventListener("change", refreshTotals);
  }

  // Quantity controls: - and + step within the line's bounds; every change reprices.
  function clamp(input) {
    var value = parseInt(input.value, 10);
    var low = parseInt(input.min, 10);
    var high = parseInt(input.max, 10);
    if (isNaN(value)) { return false; }
    if (value < low) { value = low; }
    if (value > high) { value = high; }
    if (String(value) !== input.value) { input.value = String(value); }
    return true;
  }
  for (var n = 0; n < quantities.length; n++) {
    quantities[n].addEventListener("change", function (event) {
      if (clamp(event.target)) { refreshTotals(); }
    });
  }
  var steps = form.querySelectorAll("button[data-step]");
  for (var b = 0; b < steps.length; b++) {
    steps[b].hidden = false;
    steps[b].addEventListener("click", function (event) {
      var button = event.currentTarget;
      var input = document.getElementById(button.getAttribute("data-for"));
      var value = parseInt(input.value, 10);
      if (isNaN(value)) { value = parseInt(input.min, 10); }
      var next = value + parseInt(button.getAttribute("data-step"), 10);
      if (next < parseInt(input.min, 10) || next > parseInt(input.max, 10)) { return; }
      input.value = String(next);
      refreshTotals();
    });
  }

  var alert = document.getElementById("form-error");
  var firstInvalid = form.querySelector("[aria-invalid=true]");
  if (firstInvalid) { firstInvalid.focus(); } else if (alert) { alert.focus && alert.setAttribute("tabindex", "-1"); alert.focus(); }
})();
