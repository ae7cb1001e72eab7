// The language switch submits itself when a language is picked (no inline handler: CSP).
(function () {
  "use strict";
  var select = document.getElementById("lang-select");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
})();
