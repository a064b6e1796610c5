/* cellblock tables: sort on header click and filter as you type.  No build step.
 *
 * Sorting: every <table class="data"> with a <thead> and at least two body rows
 * gets a button in each named column header.  The first press sorts ascending,
 * the next descending; aria-sort tells screen readers which way.  A cell's
 * data-sort attribute, when present, is what it sorts by; otherwise its text.
 * Numbers sort as numbers, text as people read it ("A1-2" before "A1-10").
 * Opt out with data-nosort on the table or on a header cell.
 *
 * Filtering: <input data-filter-rows="CSS selector"> hides the rows that do not
 * contain every typed word.  Elements marked data-filter-group hide when none
 * of their rows remain; [data-filter-count] and [data-filter-empty] report.
 * Escape clears the filter; "/" jumps to it from anywhere on the page.
 */
(function () {
  "use strict";

  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  var NUMBER = /^-?\d+(?:[.,]\d+)?%?$/;

  function sortKey(cell) {
    if (!cell) return "";
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return value.replace(/\s+/g, " ").trim();
  }

  function compare(a, b) {
    if (NUMBER.test(a) && NUMBER.test(b)) {
      return parseFloat(a.replace(",", ".")) - parseFloat(b.replace(",", "."));
    }
    if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1; // blanks last
    return collator.compare(a, b);
  }

  function bodyRows(table) {
    var body = table.tBodies[0];
    return body ? Array.prototype.slice.call(body.rows) : [];
  }

  function isPlaceholder(row) {
    return row.cells.length === 1 && row.cells[0].colSpan > 1;
  }

  function sortBy(table, index, direction) {
    var body = table.tBodies[0];
    bodyRows(table)
      .map(function (row, position) {
        return { row: row, position: position, key: sortKey(row.cells[index]) };
      })
      .sort(function (x, y) {
        return direction * compare(x.key, y.key) || x.position - y.position;
      })
      .forEach(function (item) {
        body.appendChild(item.row);
      });
  }

  function makeSortable(table) {
    if (table.hasAttribute("data-nosort") || table.getAttribute("data-sortable") === "on") return;
    var rows = bodyRows(table);
    if (!table.tHead || rows.length < 2 || rows.some(isPlaceholder)) return;
    var headerRow = table.tHead.rows[table.tHead.rows.length - 1];
    var headers = Array.prototype.slice.call(headerRow.cells);
    headers.forEach(function (th, index) {
      if (!th.textContent.trim() || th.hasAttribute("data-nosort")) return;
      // A header with its own link or control already sorts on the server.
      if (th.querySelector("a, button, input, select")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      var arrow = document.createElement("span");
      arrow.className = "sort-arrow";
      arrow.setAttribute("aria-hidden", "true");
      button.appendChild(arrow);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) {
          other.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        sortBy(table, index, ascending ? 1 : -1);
      });
    });
    table.setAttribute("data-sortable", "on");
  }

  function applyFilter(input) {
    var selector = input.getAttribute("data-filter-rows");
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = document.querySelectorAll(selector);
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var text = row.textContent.toLowerCase() + " " + (row.getAttribute("data-cell") || "");
      var match = words.every(function (word) {
        return text.indexOf(word) !== -1;
      });
      row.hidden = !match;
      if (match) shown += 1;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-filter-group]"), function (group) {
      var all = group.querySelectorAll(selector);
      var visible = Array.prototype.some.call(all, function (row) {
        return !row.hidden;
      });
      group.hidden = words.length > 0 && !visible;
    });
    var count = document.querySelector("[data-filter-count]");
    if (count) count.textContent = words.length ? shown + " of " + rows.length + " shown" : "";
    var empty = document.querySelector("[data-filter-empty]");
    if (empty) empty.hidden = !words.length || shown > 0;
  }

  function enhance(root) {
    Array.prototype.forEach.call(root.querySelectorAll("table.data"), makeSortable);
    Array.prototype.forEach.call(root.querySelectorAll("input[data-filter-rows]"), function (input) {
      if (input.value) applyFilter(input); // the browser restored a typed filter
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-filter-rows]")) {
      applyFilter(event.target);
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Escape" && target.matches && target.matches("input[data-filter-rows]")) {
      target.value = "";
      applyFilter(target);
      return;
    }
    var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var filter = document.querySelector("input[data-filter-rows]");
      if (filter) {
        event.preventDefault();
        filter.focus();
      }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhance(document);
    });
  } else {
    enhance(document);
  }
  // Content that htmx swaps in (a filtered audit page, say) gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    enhance(event.detail.elt.parentNode || document);
  });
})();
