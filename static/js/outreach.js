/* The call or visit form (templates/outreach/card.html): the browser's location, when the person allows
   it, into the form's hidden latitude and longitude. Optional: nothing is held back without it. Writes
   text only (textContent), never HTML. */
(function () {
  "use strict";
  var form = document.querySelector("[data-outreach-contact]");
  if (!form || !navigator.geolocation) { return; }
  var latitude = form.querySelector("input[name=latitude]");
  var longitude = form.querySelector("input[name=longitude]");
  var note = form.querySelector("[data-outreach-location]");
  if (!latitude || !longitude) { return; }
  // Asked once the form is being filled in, not when the page opens: the phone's permission prompt then
  // comes when the contact is being recorded, not on a page opened to read the customer's details.
  function locate() {
    form.removeEventListener("focusin", locate);
    navigator.geolocation.getCurrentPosition(function (position) {
      latitude.value = position.coords.latitude.toFixed(6);
      longitude.value = position.coords.longitude.toFixed(6);
      if (note) {
        note.textContent = "📍 " + latitude.value + ", " + longitude.value;
        note.hidden = false;
      }
    }, function () { /* refused or unavailable: the contact is saved without a location */ }, {
      enableHighAccuracy: false, timeout: 10000, maximumAge: 300000
    });
  }
  form.addEventListener("focusin", locate);
})();
