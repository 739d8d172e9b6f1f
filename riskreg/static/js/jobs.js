// A job's page (/jobs/<id>): poll its status every second and move the progress bar; when the job
// ends, reload the page for the download or the reason (no inline scripts under the CSP).
(function () {
  var box = document.querySelector("[data-job-status]");
  if (!box || box.getAttribute("data-job-finished") === "true") { return; }
  var bar = box.querySelector("progress");
  var state = box.querySelector("[data-job-state]");
  var rows = box.querySelector("[data-job-rows]");
  var message = box.querySelector("[data-job-message]");
  var number = function (n) { return n.toLocaleString("en"); };

  function show(status) {
    state.textContent = status.state_label;
    message.textContent = status.message;
    if (status.total) {
      bar.max = status.total;
      bar.value = status.done;
      bar.textContent = status.percent + "%";
      rows.textContent = status.rows_text || number(status.done) + " of " + number(status.total) + " (" + status.percent + "%)" + (status.unit ? " " + status.unit : "");
    }
  }

  function poll() {
    fetch(box.getAttribute("data-job-status"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (status) {
        if (status.finished) { window.location.reload(); return; }
        show(status);
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });  // a restart or a blip: slow down, go on
  }
  window.setTimeout(poll, 1000);
})();
