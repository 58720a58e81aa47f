// Keeps the progress bar live without reloading the page; without scripts the page's meta
// refresh does the same every few seconds.
(function () {
  var box = document.getElementById("progress");
  if (!box || box.dataset.finished === "1") return;
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) refresh.parentNode.removeChild(refresh);
  var ids = ["rows-read", "rows-valid", "rows-rejected", "rows-applied", "rows-unchanged",
    "rows-refused", "rows-conflicts"];
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { setTimeout(poll, 3000); return; }
        document.getElementById("bar").value = p.percent;
        document.getElementById("status").textContent = p.status_label;
        ids.forEach(function (id) {
          var el = document.getElementById(id);
          if (el) el.textContent = p[id.replace("-", "_")];
        });
        if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
