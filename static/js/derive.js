// Suggest values that follow from the shop URL (FTP user ID, store ID) as the URL is typed.
// A field the user has not typed into follows the suggestion; a typed value that differs is
// flagged. The patterns come from the connector (data-derive-pattern / data-derive-prefix).
(function () {
  "use strict";
  var url = document.getElementById("id_url");
  if (!url) return;
  var targets = Array.prototype.slice.call(document.querySelectorAll("[data-derive-pattern]"));
  targets.forEach(function (input) {
    input.dataset.auto = input.value === "" ? "1" : "0";
    input.addEventListener("input", function () { input.dataset.auto = "0"; update(); });
  });
  function suggestionFor(input) {
    var m = new RegExp(input.dataset.derivePattern).exec(url.value);
    return m ? (input.dataset.derivePrefix || "") + m[1] : "";
  }
  function update() {
    targets.forEach(function (input) {
      var suggested = suggestionFor(input);
      var note = document.querySelector('[data-suggestion-for="' + input.id + '"]');
      if (input.dataset.auto === "1") input.value = suggested;
      input.placeholder = suggested;
      if (!note) return;
      note.classList.remove("mismatch");
      if (!suggested) { note.textContent = ""; return; }
      if (input.value && input.value !== suggested) {
        note.textContent = note.dataset.mismatch.replace("{value}", suggested);
        note.classList.add("mismatch");
      } else {
        note.textContent = note.dataset.match.replace("{value}", suggested);
      }
    });
  }
  url.addEventListener("input", update);
  update();
})();

// The port follows the protocol (SFTP 22, FTP 21) unless the user typed another port.
(function () {
  "use strict";
  document.querySelectorAll("select[data-ports]").forEach(function (select) {
    var ports = JSON.parse(select.dataset.ports);
    var port = document.getElementById(select.dataset.portField);
    if (!port) return;
    var defaults = Object.keys(ports).map(function (k) { return String(ports[k]); });
    select.addEventListener("change", function () {
      if (port.value === "" || defaults.indexOf(port.value) !== -1) {
        port.value = ports[select.value];
      }
    });
  });
})();
