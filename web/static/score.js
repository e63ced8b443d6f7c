// The running total on a judge's score form (web/templates/judging/score.html).
(function () {
  var form = document.getElementById('score-form');
  var total = document.getElementById('score-total');
  var missing = document.getElementById('score-missing');
  function update() {
    var sum = 0, blank = 0;
    form.querySelectorAll('input[data-points]').forEach(function (input) {
      var value = parseFloat(input.value);
      if (isNaN(value)) { blank += 1; } else { sum += value; }
    });
    total.textContent = String(Math.round(sum * 10) / 10);
    missing.textContent = blank ? '（尚有 ' + blank + ' 項未評分）' : '';
  }
  form.addEventListener('input', update);
  update();
})();
