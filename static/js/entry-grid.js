// Document entry as a line grid (orders, quotations): type-ahead for customers and items, add and
// remove lines without a page load, keyboard-first moves, and a debounced round-trip (htmx,
// #grid-recalc) that brings back prices, totals and warnings. No inline script: the page only
// carries data attributes (Content-Security-Policy `script-src 'self'`).
(function () {
  "use strict";

  var RECALC_DELAY = 300;
  var SEARCH_DELAY = 150;

  function formOf(element) {
    return element && element.closest ? element.closest("form[data-entry-grid]") : null;
  }

  // --- recalculation ------------------------------------------------------------------------
  var recalcTimer = null;
  function recalc(form, now) {
    window.clearTimeout(recalcTimer);
    recalcTimer = window.setTimeout(function () {
      var target = form.querySelector("#grid-recalc");
      if (target && window.htmx) { window.htmx.trigger(target, "grid-recalc"); }
    }, now ? 0 : RECALC_DELAY);
  }

  // --- rows ---------------------------------------------------------------------------------
  function body(form) { return form.querySelector("[data-grid-body]"); }
  function visibleRows(form) {
    return Array.prototype.filter.call(
      body(form).querySelectorAll("tr[data-grid-row]"),
      function (row) { return !row.classList.contains("d-none"); }
    );
  }
  function renumber(form) {
    visibleRows(form).forEach(function (row, index) {
      var cell = row.querySelector("[data-line-number]");
      if (cell) { cell.textContent = String(index + 1); }
    });
  }
  function itemInput(row) { return row.querySelector("input[data-lookup$='-item']"); }
  function firstField(row) {
    return itemInput(row) || row.querySelector("input:not([type=hidden]), select");
  }

  function addRow(form) {
    var total = form.querySelector("input[name='lines-TOTAL_FORMS']");
    var template = form.querySelector("#grid-row-template");
    var index = parseInt(total.value, 10);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("tr");
    body(form).appendChild(row);
    total.value = String(index + 1);
    if (window.htmx) { window.htmx.process(row); }
    renumber(form);
    return row;
  }

  function removeRow(form, row) {
    var rows = visibleRows(form);
    var position = rows.indexOf(row);
    var remove = row.querySelector("input[type=checkbox][name$='-DELETE']");
    if (remove) { remove.checked = true; }
    row.classList.add("d-none");
    renumber(form);
    rows = visibleRows(form);
    var next = rows[Math.min(position, rows.length - 1)];
    if (!next) { next = addRow(form); }
    firstField(next).focus();
    recalc(form, true);
  }

  function nextRow(form, row) {
    var rows = visibleRows(form);
    var position = rows.indexOf(row);
    var next = rows[position + 1];
    if (!next) { next = addRow(form); }
    var field = firstField(next);
    field.focus();
    if (field.select) { field.select(); }
  }

  // --- type-ahead ---------------------------------------------------------------------------
  var searchTimer = null;
  var searchSerial = 0;

  function resultsOf(input) { return input.parentElement.querySelector(".lookup-results"); }
  function valueOf(input) { return input.parentElement.querySelector("[data-lookup-value]"); }
  function options(input) { return resultsOf(input).querySelectorAll("[data-pk]"); }
  function isOpen(input) { return !resultsOf(input).classList.contains("d-none"); }

  function close(input) {
    resultsOf(input).classList.add("d-none");
    input.setAttribute("aria-expanded", "false");
  }

  function search(input) {
    var serial = ++searchSerial;
    var query = input.value.trim();
    if (!query) { close(input); return; }
    var url = input.dataset.search + "?q=" + encodeURIComponent(query);
    window.fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (serial !== searchSerial || document.activeElement !== input) { return; }
        var results = resultsOf(input);
        results.innerHTML = html;
        if (html.trim()) {
          results.classList.remove("d-none");
          input.setAttribute("aria-expanded", "true");
        } else {
          close(input);
        }
      });
  }

  function move(input, step) {
    var list = Array.prototype.slice.call(options(input));
    if (!list.length) { return; }
    var current = list.findIndex(function (option) { return option.classList.contains("active"); });
    var next = (current + step + list.length) % list.length;
    list.forEach(function (option, index) { option.classList.toggle("active", index === next); });
    list[next].scrollIntoView({ block: "nearest" });
  }

  function pick(input, option) {
    valueOf(input).value = option.dataset.pk;
    input.value = option.dataset.label;
    input.classList.remove("is-invalid");
    close(input);
    var form = formOf(input);
    var row = input.closest("tr[data-grid-row]");
    if (row) {
      var quantity = row.querySelector("input[name$='-quantity']");
      if (quantity) { quantity.focus(); quantity.select(); }
    } else {
      var first = visibleRows(form)[0] || addRow(form);
      firstField(first).focus();
    }
    recalc(form, true);
  }

  function activeOption(input) {
    if (!isOpen(input)) { return null; }
    return resultsOf(input).querySelector("[data-pk].active") || options(input)[0] || null;
  }

  // --- events -------------------------------------------------------------------------------
  document.addEventListener("input", function (event) {
    var field = event.target;
    var form = formOf(field);
    if (!form) { return; }
    if (field.dataset && field.dataset.lookup !== undefined && field.hasAttribute("data-search")) {
      valueOf(field).value = "";  // the text changed: no record is picked any more
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(function () { search(field); }, SEARCH_DELAY);
      return;
    }
    recalc(form, false);
  });

  document.addEventListener("change", function (event) {
    var form = formOf(event.target);
    if (form) { recalc(form, false); }
  });

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    var form = formOf(field);
    if (!form) { return; }
    var lookup = field.hasAttribute && field.hasAttribute("data-search");
    if (lookup && isOpen(field)) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        move(field, event.key === "ArrowDown" ? 1 : -1);
        return;
      }
      if (event.key === "Escape") { event.preventDefault(); close(field); return; }
      if (event.key === "Enter" || event.key === "Tab") {
        var option = activeOption(field);
        if (option) {
          event.preventDefault();
          pick(field, option);
          return;
        }
      }
    }
    if (lookup && event.key === "ArrowDown" && !isOpen(field)) {
      event.preventDefault();
      search(field);
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    var row = field.closest("tr[data-grid-row]");
    if (event.key === "Delete" && event.ctrlKey && row) {
      event.preventDefault();
      removeRow(form, row);
      return;
    }
    if (event.key !== "Enter" || field.tagName === "BUTTON" || field.tagName === "TEXTAREA") {
      return;
    }
    // Enter never submits by accident: in a line it moves to the next line (a new one after the
    // last), in the header to the first line.
    event.preventDefault();
    if (row) {
      nextRow(form, row);
    } else {
      var first = visibleRows(form)[0] || addRow(form);
      firstField(first).focus();
    }
    recalc(form, true);
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".lookup-results [data-pk]");
    if (!option) { return; }
    event.preventDefault();  // keep the focus in the text box until it is picked
    var input = option.closest(".lookup").querySelector("[data-search]");
    pick(input, option);
  });

  document.addEventListener("focusout", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-search") && formOf(field)) {
      window.setTimeout(function () { close(field); }, 100);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-grid-add], [data-grid-remove]");
    var form = formOf(button);
    if (!button || !form) { return; }
    if (button.hasAttribute("data-grid-add")) {
      firstField(addRow(form)).focus();
    } else {
      removeRow(form, button.closest("tr[data-grid-row]"));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-entry-grid]").forEach(function (form) {
      renumber(form);
      // A customer picked but no line entered yet: the first line's item is next.
      var customer = form.querySelector("input[data-lookup='" + form.dataset.customerField + "']");
      if (customer && !customer.value) { customer.focus(); }
    });
  });
})();
