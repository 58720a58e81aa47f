// Progressive enhancement of the declaration form: without this script the form still works
// (the address choices reload the page, the guardian section is always shown).
(function () {
  "use strict";
  var form = document.getElementById("declare-form");
  if (!form || !window.fetch) { return; }
  var district = document.getElementById("district");
  var street = document.getElementById("street");
  var community = document.getElementById("community_code");
  var refresh = document.getElementById("refresh");
  if (refresh) { refresh.parentNode.hidden = true; }

  function fill(select, items, prompt) {
    while (select.options.length) { select.remove(0); }
    select.add(new Option(prompt, ""));
    items.forEach(function (item) { select.add(new Option(item.name, item.code)); });
  }

  function load(url, select, prompt, then) {
    select.disabled = true;
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (items) { fill(select, items, prompt); select.disabled = false; if (then) { then(); } })
      .catch(function () { select.disabled = false; if (refresh) { refresh.click(); } });
  }

  district.addEventListener("change", function (event) {
    event.stopImmediatePropagation();
    fill(community, [], community.dataset.promptFirst || "");
    if (!district.value) { fill(street, [], street.dataset.promptFirst || ""); return; }
    load("/api/v1/divisions/districts/" + encodeURIComponent(district.value) + "/streets",
      street, street.dataset.prompt || "");
  });
  street.addEventListener("change", function (event) {
    event.stopImmediatePropagation();
    if (!street.value) { fill(community, [], community.dataset.promptFirst || ""); return; }
    load("/api/v1/divisions/streets/" + encodeURIComponent(street.value) + "/communities",
      community, community.dataset.prompt || "");
  });

  // ZJ-5: the guardian section matters only for a person under 16, which the ID number tells.
  var idNumber = document.getElementById("id_number");
  var guardian = document.getElementById("guardian");
  function ageFromId(value) {
    var digits = value.replace(/\s/g, "");
    if (!/^[0-9]{17}[0-9Xx]$/.test(digits)) { return null; }
    var y = +digits.slice(6, 10), m = +digits.slice(10, 12), d = +digits.slice(12, 14);
    var now = new Date();
    var age = now.getFullYear() - y;
    if (now.getMonth() + 1 < m || (now.getMonth() + 1 === m && now.getDate() < d)) { age -= 1; }
    return age;
  }
  function toggleGuardian() {
    if (!guardian || guardian.hasAttribute("data-keep")) { return; }
    var age = ageFromId(idNumber.value);
    guardian.hidden = age !== null && age >= 16;
  }
  if (idNumber && guardian) {
    idNumber.addEventListener("input", toggleGuardian);
    toggleGuardian();
  }
})();
