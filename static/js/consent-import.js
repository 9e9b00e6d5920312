// The import page's progress bar: polls the import's progress and reloads the page when it ends.
// Loaded as a file (the CSP forbids inline script).
(function () {
  "use strict";
  var panel = document.querySelector("[data-import-progress]");
  if (!panel || !window.fetch) { return; }
  var url = panel.getAttribute("data-import-progress");
  var bar = panel.querySelector("progress");

  function show(progress) {
    bar.value = progress.percent;
    bar.textContent = progress.percent + "%";
    panel.querySelectorAll("[data-field]").forEach(function (element) {
      var name = element.getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(progress, name)) { element.textContent = progress[name]; }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (progress) {
        show(progress);
        // Finished: the page shows the skipped rows and the report link.
        if (progress.finished) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
