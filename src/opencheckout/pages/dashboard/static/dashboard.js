// Optional: a "Copy link" button next to read-only links (the page works without it).
document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
  var input = document.getElementById(button.getAttribute("data-copy"));
  if (!input || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(input.value).then(function () {
      button.textContent = button.getAttribute("data-done") || button.textContent;
    });
  });
});
