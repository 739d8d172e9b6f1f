// Bulk changes: a "select all" box (<input data-select-all="FORM-ID">) ticks every row box of that
// form on the page. Without JavaScript the box stays hidden and each row is ticked by hand.
document.querySelectorAll("[data-select-all]").forEach(function (all) {
  var boxes = function () {
    return document.querySelectorAll('input[name="item"][form="' + all.dataset.selectAll + '"]');
  };
  all.hidden = false;
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
  });
});
