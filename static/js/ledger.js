// The approval page (templates/ledger/approve.html): "select all" ticks every entry of its form.
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
})();
