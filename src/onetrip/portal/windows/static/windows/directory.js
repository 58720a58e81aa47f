// Progressive enhancement of the window directory. Without this script every form still works
// (they are GET forms): the resident chooses a community instead of sharing a position, and the
// street list fills after the district is searched.
(function () {
  "use strict";

  // "Nearest to me": fill the browser's position into the form's lat/lon fields and send it.
  // The position is rounded to three decimals (about 100 m) before it leaves the browser.
  var form = document.getElementById("near-form");
  var block = document.getElementById("locate-block");
  var button = document.getElementById("locate");
  var status = document.getElementById("locate-status");
  if (form && block && button && status && "geolocation" in navigator) {
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
  }

  // The search form: a chosen district lists its streets at once, from the divisions API.
  var district = document.getElementById("district");
  var street = document.getElementById("street");
  if (!district || !street || !window.fetch) { return; }
  district.addEventListener("change", function () {
    while (street.options.length) { street.remove(0); }
    if (!district.value) {
      street.add(new Option(street.getAttribute("data-prompt-first") || "", ""));
      return;
    }
    street.add(new Option(street.getAttribute("data-prompt-all") || "", ""));
    street.disabled = true;
    fetch("/api/v1/divisions/districts/" + encodeURIComponent(district.value) + "/streets",
      { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (items) {
        items.forEach(function (item) { street.add(new Option(item.name, item.code)); });
      })
      .catch(function () { /* the street list fills after the search instead */ })
      .then(function () { street.disabled = false; });
  });
}());
