// Stripe card entry on the hosted page (loaded only with the stripe processor and a
// publishable key). The card is typed into Stripe's element and turned into a token
// by Stripe.js; our server receives the token, never the card number. When the
// bank asks for 3-D Secure, the confirmation page hands the PaymentIntent's client
// secret to confirmCardPayment, then returns to our page, which settles.
(function () {
  "use strict";
  if (typeof Stripe !== "function") { return; }

  var action = document.getElementById("stripe-action");
  if (action) {
    var confirmer = Stripe(action.getAttribute("data-stripe-key"));
    var back = action.getAttribute("data-return-url");
    confirmer.confirmCardPayment(action.getAttribute("data-client-secret")).then(
      function () { window.location.assign(back); },
      function () { window.location.assign(back); }
    );
    return;
  }

  var form = document.getElementById("checkout");
  var mount = document.getElementById("card-element");
  if (!form || !mount) { return; }
  var stripe = Stripe(form.getAttribute("data-stripe-key"));
  var card = stripe.elements().create("card", {});
  card.mount(mount);
  var field = document.getElementById("card-field");
  var error = document.getElementById("card-error");
  var tokenInput = document.getElementById("stripe-token");

  function markCard(message) {
    field.classList.toggle("invalid", !!message);
    if (message) {
      mount.setAttribute("aria-invalid", "true");
      mount.setAttribute("aria-describedby", "card-error");
    } else {
      mount.removeAttribute("aria-invalid");
      mount.removeAttribute("aria-describedby");
    }
    error.textContent = message || "";
    error.hidden = !message;
  }
  card.on("change", function (event) { markCard(event && event.error ? event.error.message : ""); });

  function payingByCard(submitter) {
    if (!submitter || submitter.id !== "pay") { return false; }
    var chosen = form.querySelector("input[name=method]:checked") ||
      form.querySelector("input[type=hidden][name=method]");
    return !chosen || chosen.value === "card";
  }

  // Capture phase on the document: runs before the page's own submit handler, so
  // the form goes out once, with the token.
  document.addEventListener("submit", function (event) {
    if (event.target !== form || !payingByCard(event.submitter) || tokenInput.value) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var button = event.submitter;
    if (form.getAttribute("data-tokenizing") === "true") { return; }
    form.setAttribute("data-tokenizing", "true");
    stripe.createToken(card).then(function (result) {
      form.removeAttribute("data-tokenizing");
      if (!result || result.error || !result.token) {
        var message = result && result.error && result.error.message;
        markCard(message || field.getAttribute("data-invalid-message") || "Check your card details.");
        mount.focus && mount.focus();
        return;
      }
      markCard("");
      tokenInput.value = result.token.id;
      if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
    });
  }, true);
})();
