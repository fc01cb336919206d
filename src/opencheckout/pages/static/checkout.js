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

  var alert = document.getElementById("form-error");
  var firstInvalid = form.querySelector("[aria-invalid=true]");
  if (firstInvalid) { firstInvalid.focus(); } else if (alert) { alert.focus && alert.setAttribute("tabindex", "-1"); alert.focus(); }
})();
