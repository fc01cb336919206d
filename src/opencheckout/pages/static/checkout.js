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
  var addressFields = ["line1", "line2", "city", "postal_code", "state", "country",
    "shipping_line1", "shipping_line2", "shipping_city", "shipping_postal_code",
    "shipping_state", "shipping_country"];
  // The shipping options follow the address: rebuild them from the server's answer.
  var optionsBox = document.getElementById("shipping-choices");
  function showOptions(figures) {
    if (!optionsBox || !figures.shipping_options) { return; }
    var options = figures.shipping_options;
    optionsBox.textContent = "";
    for (var o = 0; o < options.length; o++) {
      var label = document.createElement("label");
      label.className = "choice";
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "shipping_option";
      radio.value = options[o].id;
      radio.required = true;
      radio.checked = options[o].id === figures.selected_shipping_option;
      radio.addEventListener("change", refreshTotals);
      var name = document.createElement("span");
      name.textContent = options[o].name;
      var amount = document.createElement("span");
      amount.className = "choice-amount";
      amount.textContent = options[o].amount;
      label.appendChild(radio);
      label.appendChild(name);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(amount);
      if (options[o].estimate) {
        var estimate = document.createElement("span");
        estimate.className = "choice-estimate";
        estimate.textContent = options[o].estimate;
        label.appendChild(estimate);
      }
      optionsBox.appendChild(label);
    }
    var none = document.getElementById("no-shipping");
    if (none) { none.hidden = options.length > 0; }
    var notice = document.getElementById("shipping-notice");
    if (notice) {
      notice.textContent = figures.shipping_notice || "";
      notice.hidden = !figures.shipping_notice;
    }
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
    // Where the order ships decides which options are offered.
    var shipTo = form.querySelector("input[name=ship_to]:checked") ||
      form.querySelector("input[type=hidden][name=ship_to]");
    if (shipTo) {
      body.append("ship_to", shipTo.value);
      for (var a = 0; a < addressFields.length; a++) {
        var field = form.elements[addressFields[a]];
        if (field && field.value) { body.append(addressFields[a], field.value); }
      }
    }
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
    }).then(function (figures) { showOptions(figures); showTotals(figures); }).catch(function () {
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

  // A new address's fields show only when it is chosen (and are required then).
  var shipToRadios = form.querySelectorAll("input[data-ship-to]");
  var shipFields = document.getElementById("shipping-fields");
  function showShipFields() {
    var chosen = form.querySelector("input[data-ship-to]:checked");
    var active = !chosen || chosen.value === "new";
    shipFields.hidden = !active;
    var required = shipFields.querySelectorAll("[data-required]");
    for (var r = 0; r < required.length; r++) { required[r].required = active; }
  }
  if (shipFields) {
    for (var t = 0; t < shipToRadios.length; t++) {
      shipToRadios[t].addEventListener("change", function () { showShipFields(); refreshTotals(); });
    }
    showShipFields();
  }
  var repricing = shipFields ? form.querySelectorAll("[data-reprice]") : [];
  for (var p = 0; p < repricing.length; p++) {
    repricing[p].addEventListener("change", refreshTotals);
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
