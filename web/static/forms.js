// Live character counts for inputs that carry data-max (the limit is already said in the
// field's help, before typing; the server checks it again). No inline script: the pages'
// Content-Security-Policy allows only files like this one.
(function () {
  "use strict";
  function count(input) {
    var output = document.getElementById(input.id + "-count");
    if (!output) { return; }
    var max = parseInt(input.getAttribute("data-max"), 10);
    var used = Array.from(input.value).length;  // characters, not UTF-16 units
    output.textContent = "已輸入 " + used.toLocaleString("zh-TW") + "／" + max.toLocaleString("zh-TW") + " 字" +
      (used > max ? "，超過 " + (used - max).toLocaleString("zh-TW") + " 字" : "");
    output.classList.toggle("over", used > max);
  }
  document.querySelectorAll("[data-max]").forEach(function (input) {
    input.addEventListener("input", function () { count(input); });
    count(input);
  });
}());
