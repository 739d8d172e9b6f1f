// The API documentation page (/api/v1/docs): Swagger UI on the generated OpenAPI document.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    // No deep links: each would be a link inside the operation's toggle button (nested controls
    // a keyboard or screen reader cannot reach apart).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    // BaseLayout: no top bar, whose "explore" box (another spec's URL) has no label and is of no
    // use on riskreg's own API.
    layout: "BaseLayout",
    validatorUrl: null,
  });

  // Two gaps in Swagger UI's markup, mended as it renders: the servers list has no name, and the
  // operation groups and the schemas are h3 and h4 right under the h1 title (skipped levels).
  function mend() {
    root.querySelectorAll("select#servers:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", "Server");
    });
    root.querySelectorAll("h3.opblock-tag:not([aria-level]), .models > h4:not([aria-level])").forEach(function (heading) {
      heading.setAttribute("aria-level", "2");
    });
    root.querySelectorAll(".opblock h4:not([aria-level])").forEach(function (heading) {
      heading.setAttribute("aria-level", "3"); // Parameters, Responses: under their group
    });
  }
  // An opened operation: each parameter's choice list is named by its parameter, and an example
  // that scrolls can be reached from the keyboard.
  function mendOperations() {
    root.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", select.closest("tr").getAttribute("data-param-name"));
    });
    root.querySelectorAll(".highlight-code > pre:not([tabindex])").forEach(function (example) {
      example.setAttribute("tabindex", "0");
    });
  }
  new MutationObserver(function () {
    mend();
    mendOperations();
  }).observe(root, { childList: true, subtree: true });
})();
