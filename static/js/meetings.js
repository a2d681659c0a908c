// The meeting sheet's print button (templates/meetings/morning.html): the browser's print dialog, on the
// A4 layout of static/css/meetings.css. No inline script: the Content-Security-Policy allows none.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
