// Print buttons: <button data-print> opens the browser's print dialog (no inline scripts under the CSP).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
