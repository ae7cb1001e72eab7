// Follow a background import and reload the page when it is done.
(function () {
  "use strict";
  var bar = document.querySelector("progress[data-job-url]");
  if (!bar) return;
  var label = document.getElementById("job-progress");
  function poll() {
    fetch(bar.dataset.jobUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.done) { window.location.reload(); return; }
        label.textContent = job.progress;
        setTimeout(poll, 1000);
      });
  }
  poll();
})();
