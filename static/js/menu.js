// The header's menu button (shown on narrow screens only, by app.css). Loaded in <head>
// without defer so that the "js" class is set before the page is drawn: without JavaScript
// the menu simply stays open. No inline handler: the CSP forbids them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.getElementById("topbar");
    var button = document.getElementById("menu-toggle");
    if (!bar || !button) return;
    button.hidden = false;
    function set(open) {
      bar.classList.toggle("open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("open")) {
        set(false);
        button.focus();
      }
    });
  });
})();
