// Progressive enhancement of the "nearest window" form: where the browser can tell its position,
// a button fills it into the form's lat/lon fields and sends the form (a GET, like without this
// script, where the resident chooses a community instead). The position is rounded to three
// decimals (about 100 m) before it leaves the browser.
(function () {
  "use strict";
  var form = document.getElementById("near-form");
  var block = document.getElementById("locate-block");
  var button = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (!form || !block || !button || !status || !("geolocation" in navigator)) { return; }
  block.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = button.getAttribute("data-waiting") || "";
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.lat.value = position.coords.latitude.toFixed(3);
      form.elements.lon.value = position.coords.longitude.toFixed(3);
      form.elements.community.value = "";
      form.submit();
    }, function () {
      button.disabled = false;
      status.textContent = button.getAttribute("data-failed") || "";
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  });
}());
