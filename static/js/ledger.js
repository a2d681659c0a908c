// The ledger pages (templates/ledger/): "select all" ticks every entry of its form (the approval page); a
// refused entry's first problem field gets the focus (the record form), so a phone scrolls to it.
(function () {
  "use strict";
  document.querySelectorAll("form[data-select-all]").forEach(function (form) {
    var all = form.querySelector("[data-select-all-box]");
    if (!all) { return; }
    var boxes = form.querySelectorAll('input[type=checkbox][name=entry]');
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", function () {
        all.checked = Array.prototype.every.call(boxes, function (b) { return b.checked; });
      });
    });
  });
  var refused = document.querySelector(".ledger-form .ledger-form-errors, .ledger-form [aria-invalid=true]");
  if (refused) {
    if (refused.matches("[aria-invalid=true]")) { refused.focus(); } else { refused.scrollIntoView(); }
  }
})();
