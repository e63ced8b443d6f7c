// The score form's live total and checks, in the product's own words (the form is novalidate:
// no browser-native bubbles). The same rules as kb.judging.parse_score, which decides on save.
(function () {
  var form = document.getElementById('score-form');
  if (!form) { return; }
  var total = document.getElementById('score-total');
  var missing = document.getElementById('score-missing');
  var inputs = Array.prototype.slice.call(form.querySelectorAll('input[data-points]'));

  function ascii(text) {
    return text.replace(/[\uFF10-\uFF19\uFF0E]/g, function (ch) {
      return String.fromCharCode(ch.charCodeAt(0) - 0xFEE0);
    }).replace(/\s+/g, '');
  }

  // [value, message]: value null for a blank, message null when the value is fine.
  function check(input) {
    var typed = ascii(input.value);
    var points = parseFloat(input.dataset.points);
    if (typed === '') { return [null, null]; }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(typed)) { return [null, '「' + input.value.trim() + '」不是數字']; }
    var value = parseFloat(typed);
    var shown = String(value);
    if (value < 0) { return [null, shown + ' 不可為負數']; }
    if (value > points) { return [null, shown + ' 超過配分 ' + input.dataset.points]; }
    if (Math.round(value * 10) / 10 !== value) { return [null, shown + ' 最多一位小數']; }
    return [value, null];
  }

  function show(input, message) {
    var error = document.getElementById(input.id + '-error');
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = input.dataset.name + '：' + message;
      error.hidden = false;
    } else {
      input.removeAttribute('aria-invalid');
      error.textContent = '';
      error.hidden = true;
    }
  }

  function update() {
    var sum = 0, blank = 0, bad = 0;
    inputs.forEach(function (input) {
      var result = check(input);
      if (result[1]) { bad += 1; } else if (result[0] === null) { blank += 1; } else { sum += result[0]; }
    });
    if (bad) {
      total.textContent = '—';
      missing.textContent = '（有 ' + bad + ' 項分數不正確，請修正後再計算總分）';
    } else {
      total.textContent = String(Math.round(sum * 10) / 10);
      missing.textContent = blank ? '（尚有 ' + blank + ' 項未評分）' : '';
    }
  }

  inputs.forEach(function (input) {
    input.addEventListener('change', function () { show(input, check(input)[1]); });
  });
  form.addEventListener('input', function (event) {
    if (event.target.dataset && event.target.dataset.points && !check(event.target)[1]) {
      show(event.target, null);
    }
    update();
  });
  form.addEventListener('submit', function (event) {
    var first = null;
    inputs.forEach(function (input) {
      var message = check(input)[1];
      show(input, message);
      if (message && !first) { first = input; }
    });
    if (first) {
      event.preventDefault();
      first.focus();
    }
  });
  update();
})();
