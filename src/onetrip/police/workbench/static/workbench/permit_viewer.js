/* Zoom and rotate for the pictures of a permit case (progressive enhancement).
   Without this script the buttons stay hidden and a click on a picture opens it alone. */
(function () {
  "use strict";
  var STEP = 0.25, MIN = 0.5, MAX = 4;
  function enhance(figure) {
    var img = figure.querySelector(".doc-frame img");
    var tools = figure.querySelector(".doc-tools");
    if (!img || !tools) { return; }
    var state = { scale: 1, turn: 0 };
    function apply() {
      img.style.width = (state.scale * 100) + "%";
      img.style.maxWidth = state.scale > 1 ? "none" : "";
      img.style.transform = state.turn ? "rotate(" + state.turn + "deg)" : "";
    }
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var action = event.target && event.target.getAttribute("data-action");
      if (action === "zoom-in") { state.scale = Math.min(MAX, state.scale + STEP); }
      else if (action === "zoom-out") { state.scale = Math.max(MIN, state.scale - STEP); }
      else if (action === "rotate-left") { state.turn = (state.turn + 270) % 360; }
      else if (action === "rotate-right") { state.turn = (state.turn + 90) % 360; }
      else if (action === "reset") { state.scale = 1; state.turn = 0; }
      else { return; }
      apply();
    });
  }
  var figures = document.querySelectorAll("figure[data-viewer]");
  for (var i = 0; i < figures.length; i++) { enhance(figures[i]); }
})();
