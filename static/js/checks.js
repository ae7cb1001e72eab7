// 接続確認: start a check without leaving the page, then follow it until the worker is done.
(function () {
  "use strict";
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function render(box, data) {
    box.className = "check-result status-" + data.status;
    box.innerHTML = "";
    var status = document.createElement("strong");
    status.className = "check-status";
    status.textContent = data.status_label;
    var message = document.createElement("span");
    message.className = "check-message";
    message.textContent = " " + data.message;
    box.appendChild(status);
    box.appendChild(message);
    if (data.done) {
      var when = document.createElement("small");
      when.className = "check-when";
      when.textContent = " " + (data.latency_ms !== null ? data.latency_ms + " ms" : "");
      box.appendChild(when);
    }
    if (data.detail) {
      var details = document.createElement("details");
      details.className = "check-detail";
      var summary = document.createElement("summary");
      summary.textContent = box.dataset.detailLabel || "detail";
      var code = document.createElement("code");
      code.textContent = data.detail;
      details.appendChild(summary);
      details.appendChild(code);
      box.appendChild(details);
    }
    if (data.info && data.info.host_key) {
      var key = document.createElement("p");
      key.className = "host-key";
      key.textContent = data.info.host_key;
      box.appendChild(key);
    }
  }
  function follow(url, box, button) {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(box, data);
        if (data.done) { button.disabled = false; return; }
        setTimeout(function () { follow(url, box, button); }, 700);
      })
      .catch(function () { button.disabled = false; });
  }
  document.querySelectorAll("[data-check-url]").forEach(function (button) {
    var box = button.parentNode.querySelector(".check-result");
    button.addEventListener("click", function (event) {
      event.preventDefault();
      button.disabled = true;
      fetch(button.dataset.checkUrl, {
        method: "POST",
        headers: {"Accept": "application/json", "X-CSRFToken": csrfToken()},
        credentials: "same-origin",
      })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          render(box, data);
          // A refused test (rate limit) comes back done, with no status to follow.
          if (data.url) { follow(data.url, box, button); } else { button.disabled = false; }
        })
        .catch(function () { button.disabled = false; });
    });
  });
})();

// 全ショップ接続確認: the progress bar of a batch.
(function () {
  "use strict";
  var bar = document.querySelector("progress[data-progress-url]");
  if (!bar) return;
  var label = document.getElementById("progress-label");
  function poll() {
    fetch(bar.dataset.progressUrl, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.max = p.total || 1;
        bar.value = p.done;
        label.textContent = p.done + " / " + p.total;
        Object.keys(p.counts).forEach(function (k) {
          var cell = document.getElementById("count-" + k);
          if (cell) cell.textContent = p.counts[k];
        });
        if (p.finished) { if (bar.dataset.finished !== "1") window.location.reload(); return; }
        setTimeout(poll, 1000);
      });
  }
  poll();
})();
