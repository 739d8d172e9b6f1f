/* Dashboard charts: each [data-figure] element is drawn from the JSON data block it names.
   Figures come from the server as data (script type="application/json"), never as inline code,
   so the page keeps a script-src 'self' policy. A heatmap cell's customdata is the register URL
   of its risks: a click goes there. */
(function () {
  "use strict";

  function sameOriginPath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  // Once the chart is drawn its table is hidden (kept for screen readers and print): what it could
  // focus leaves the tab order, so Tab never lands out of sight. A heatmap's table is the heatmap's
  // keyboard form instead (data-keyboard): the stylesheet shows it while focus is inside it.
  function keepOutOfTabOrder(holder) {
    holder.querySelectorAll(".chart-table:not([data-keyboard])").forEach(function (table) {
      table.querySelectorAll("a[href], button, input, select, textarea, [tabindex]").forEach(function (item) {
        item.setAttribute("tabindex", "-1");
      });
    });
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (!source || typeof window.Plotly === "undefined") {
      return; // no Plotly: the tables beside the charts carry the same numbers
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, figure.config).then(function () {
      element.setAttribute("data-drawn", "true");
      var holder = element.closest(".figure");
      if (holder) {
        holder.classList.add("charted");
        keepOutOfTabOrder(holder);
      }
      element.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        if (point && sameOriginPath(point.customdata)) {
          window.location.assign(point.customdata);
        }
      });
    });
  }

  // The charts on screen are drawn first, after the tables have been painted; the others when they
  // near the screen or the browser is idle, one per task, so the first screen does not wait for the
  // charts further down (tens of ms of Plotly's layout each). Until then, and without JavaScript,
  // the table beside each chart shows its numbers.
  var waiting = Array.prototype.slice.call(document.querySelectorAll("[data-figure]"));
  var observer = null;

  function drawOnce(element) {
    var index = waiting.indexOf(element);
    if (index < 0) {
      return;
    }
    waiting.splice(index, 1);
    if (observer) {
      observer.unobserve(element);
    }
    draw(element);
  }

  function later(callback) {
    if (window.requestIdleCallback) {
      window.requestIdleCallback(callback, { timeout: 1000 });
    } else {
      window.setTimeout(callback, 50);
    }
  }

  function drawNextWhenIdle() {
    if (waiting.length) {
      drawOnce(waiting[0]);
      later(drawNextWhenIdle);
    }
  }

  if (typeof window.IntersectionObserver === "undefined") {
    waiting.slice().forEach(drawOnce);
  } else {
    observer = new window.IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            drawOnce(entry.target);
          }
        });
      },
      { rootMargin: "100px 0px" }
    );
    waiting.forEach(function (element) {
      observer.observe(element);
    });
    if (document.readyState === "complete") {
      later(drawNextWhenIdle);
    } else {
      window.addEventListener("load", function () {
        later(drawNextWhenIdle);
      });
    }
  }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
