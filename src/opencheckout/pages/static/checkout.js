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
  var pending = 0;
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
    document.getElementById("total").textContent = figures.total;
    expected.value = String(figures.amount_total);
    pay.textContent = figures.pay_label;
  }
  function refreshTotals(choice) {
    var body = new URLSearchParams();
    var csrf = form.querySelector("input[name=csrf_token]");
    body.append(csrf.name, csrf.value);
    body.append(choice.name, choice.value);
    pending += 1;
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
      pending -= 1;
      if (!pending) { pay.disabled = false; }
    });
  }
  var shippingChoices = form.querySelectorAll("input[name=shipping_option]");
  for (var s = 0; s < shippingChoices.length; s++) {
    shippingChoices[s].addEventListener("change", function (event) { refreshTotals(event.target); });
  }

  var alert = document.getElementById("form-error");
  var firstInvalid = form.querySelector("[aria-invalid=true]");
  if (firstInvalid) { firstInvalid.focus(); } else if (alert) { alert.focus && alert.setAttribute("tabindex", "-1"); alert.focus(); }
})();
