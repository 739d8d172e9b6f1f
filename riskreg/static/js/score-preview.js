// The risk form's live score preview: as a likelihood or impact (or the direction) changes, the
// band beside the pair is redrawn from the matrix the server rendered in data-matrix. No inline
// script (the page keeps script-src 'self'); without this file the server's preview stays.
(function () {
  var fieldset = document.querySelector("[data-matrix]");
  if (!fieldset) { return; }
  var matrix = JSON.parse(fieldset.dataset.matrix);
  var direction = document.getElementById("direction");

  function badge(score, key) {
    var band = matrix.bands[key];
    var span = document.createElement("span");
    span.className = "band";
    span.style.setProperty("--band", band.colour);
    span.style.setProperty("--band-fill", band.fill);
    span.textContent = score + " · " + band.label;
    return span;
  }

  function draw(pair) {
    var likelihood = parseInt(document.getElementById(pair.dataset.likelihood).value, 10);
    var impact = parseInt(document.getElementById(pair.dataset.impact).value, 10);
    var output = pair.querySelector("output");
    output.replaceChildren();
    if (!(likelihood >= 1 && likelihood <= 5 && impact >= 1 && impact <= 5)) {
      var hint = document.createElement("span");
      hint.className = "muted";
      hint.textContent = fieldset.dataset.chooseBoth || "choose both levels";  // the page's language
      output.appendChild(hint);
      return;
    }
    var people = direction && matrix.peopleDirections.indexOf(direction.value) >= 0;
    var key = (people ? matrix.people : matrix.cells)[likelihood + "," + impact];
    output.appendChild(badge(likelihood * impact, key));
  }

  var pairs = fieldset.querySelectorAll("[data-pair]");
  function drawAll() { pairs.forEach(draw); }
  pairs.forEach(function (pair) {
    [pair.dataset.likelihood, pair.dataset.impact].forEach(function (id) {
      document.getElementById(id).addEventListener("change", function () { draw(pair); });
    });
  });
  if (direction) { direction.addEventListener("change", drawAll); }
  drawAll();
})();
