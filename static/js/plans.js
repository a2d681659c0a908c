/* The target-plan grid (templates/plans/plan_grid.html, plan_time.html): the totals and what is left to
   give, live as the cells are typed.

   Cells of one group (a metric's column; a row over months) carry data-group and data-role="part"; the
   whole they are parts of carries the same data-group and data-role="parent" (an input, or an element
   with data-value). An empty input counts as the target it has now (data-current): leaving a cell empty
   leaves the target as it is. The figures are computed in ten-thousandths (the 4 decimals a target
   keeps) so that sums are exact, and written with textContent only. */
(function () {
  "use strict";

  var grid = document.querySelector("[data-plan-grid]");
  if (!grid) {
    return;
  }
  var SCALE = 10000;
  var FULL = "０１２３４５６７８９，．－";
  var HALF = "0123456789,.-";
  var NUMBER = /^-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$/;

  function parse(text) {
    var raw = String(text == null ? "" : text).trim();
    var ascii = "";
    for (var i = 0; i < raw.length; i += 1) {
      var at = FULL.indexOf(raw.charAt(i));
      ascii += at >= 0 ? HALF.charAt(at) : raw.charAt(i);
    }
    if (!NUMBER.test(ascii)) {
      return null;
    }
    return Math.round(parseFloat(ascii.replace(/,/g, "")) * SCALE);
  }

  function format(units) {
    var cents = Math.round(Math.abs(units) / (SCALE / 100));
    var whole = Math.floor(cents / 100);
    var rest = cents % 100;
    var text = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + (rest < 10 ? "0" : "") + rest;
    return (units < 0 && cents > 0 ? "-" : "") + text;
  }

  function figure(element) {
    if (element.tagName === "INPUT") {
      if (element.value.trim() === "") {
        return parse(element.getAttribute("data-current"));
      }
      return parse(element.value);
    }
    return parse(element.getAttribute("data-value"));
  }

  var groups = {};
  function group(name) {
    if (!groups[name]) {
      groups[name] = { parts: [], parents: [], totals: [], remainders: [] };
    }
    return groups[name];
  }
  Array.prototype.forEach.call(grid.querySelectorAll("[data-group]"), function (element) {
    var entry = group(element.getAttribute("data-group"));
    (element.getAttribute("data-role") === "parent" ? entry.parents : entry.parts).push(element);
  });
  Array.prototype.forEach.call(grid.querySelectorAll("[data-total-for]"), function (element) {
    group(element.getAttribute("data-total-for")).totals.push(element);
  });
  Array.prototype.forEach.call(grid.querySelectorAll("[data-remainder-for]"), function (element) {
    group(element.getAttribute("data-remainder-for")).remainders.push(element);
  });

  function recompute(name) {
    var entry = groups[name];
    if (!entry) {
      return;
    }
    var total = 0;
    var bad = false;
    entry.parts.forEach(function (element) {
      var typedWrong = element.tagName === "INPUT" && element.value.trim() !== "" && parse(element.value) === null;
      element.classList.toggle("is-invalid", typedWrong);
      if (typedWrong) {
        bad = true;
        return;
      }
      var value = figure(element);
      if (value !== null) {
        total += value;
      }
    });
    var parent = entry.parents.length ? figure(entry.parents[0]) : null;
    entry.totals.forEach(function (element) {
      element.textContent = bad ? "?" : format(total);
    });
    entry.remainders.forEach(function (element) {
      var left = parent === null || bad ? null : parent - total;
      element.textContent = left === null ? "—" : format(left);
      element.classList.toggle("plan-off", left !== null && left !== 0);
    });
  }

  grid.addEventListener("input", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-group");
    if (name) {
      recompute(name);
    }
  });
  Object.keys(groups).forEach(recompute);
})();
