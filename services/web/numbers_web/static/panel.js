// Refreshes the Service DNS panel every few seconds, so a learner watching the page sees the
// name start (or stop) resolving. The page is complete without this script.
"use strict";
(function () {
  var panel = document.getElementById("probe-panel");
  if (!panel || !window.fetch) {
    return;
  }
  var refresh = function () {
    fetch("/probe/panel", { headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null) {
          panel.innerHTML = html;
        }
      })
      .catch(function () {
        // Keep the last panel when web itself is unreachable for a moment.
      });
  };
  window.setInterval(refresh, 3000);
})();
