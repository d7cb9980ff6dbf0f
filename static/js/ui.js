// Behaviour the templates ask for through data attributes, so that no page needs inline script
// and the Content-Security-Policy can stay `script-src 'self'`. Listeners are delegated from the
// document, so forms and fields that htmx swaps in later behave the same.

// <form data-confirm="Delete this record?">: ask before submitting.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("change", function (event) {
  var field = event.target;
  if (!(field instanceof HTMLElement)) { return; }
  // <select data-autosubmit>: submit the form on change (the language switch).
  if (field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
  // <input type="checkbox" data-check-group="x">: tick or clear every box of the same form
  // with data-check-member="x" (all packing slips of one customer).
  if (field.dataset.checkGroup && field.form) {
    field.form.querySelectorAll("input[data-check-member]").forEach(function (box) {
      if (box.dataset.checkMember === field.dataset.checkGroup) { box.checked = field.checked; }
    });
  }
});
