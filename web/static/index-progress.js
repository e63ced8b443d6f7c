// The search index page follows a running rebuild: the progress box names its JSON address.
(function () {
  var box = document.getElementById("rebuild-progress");
  if (!box || !box.dataset.running) { return; }
  function poll() {
    fetch(box.dataset.status, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (!state.job.running) { window.location.reload(); return; }
        var bar = box.querySelector("progress"), count = box.querySelector(".num");
        bar.max = state.job.total || 1;
        bar.value = state.job.done;
        count.textContent = state.job.done + "／" + state.job.total;
        setTimeout(poll, 1000);
      });
  }
  setTimeout(poll, 1000);
})();
