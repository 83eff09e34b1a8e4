// Decision helper (courselab.decision_helper): checkboxes in a fieldset, a verdict in an aria-live
// region. Works on the static site (no kernel, no network); every helper root on a page is set up once.
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function sourceLink(url) {
    var a = el("a", { href: url }, "source");
    return a;
  }

  // The same rule as courselab.decision_helper.Helper.decide: any ticked need gives `if_any`.
  function decide(data, ticked) {
    var chosen = data.needs.filter(function (n) { return ticked.indexOf(n.id) !== -1; });
    if (chosen.length === 0) { return { key: "otherwise", verdict: data.otherwise, reasons: [] }; }
    return { key: "if_any", verdict: data.if_any, reasons: chosen };
  }

  function render(result, outcome) {
    result.textContent = "";
    result.setAttribute("data-verdict", outcome.key);
    result.appendChild(el("p", { "class": "dh-verdict" }, "Suggested: " + outcome.verdict.verdict));
    var why = el("p", {}, outcome.verdict.why + " ");
    if (outcome.verdict.source) { why.appendChild(sourceLink(outcome.verdict.source)); }
    result.appendChild(why);
    if (outcome.reasons.length) {
      var list = el("ul", { "class": "dh-reasons" });
      outcome.reasons.forEach(function (need) {
        var item = el("li", { "data-need": need.id }, need.why + " ");
        item.appendChild(sourceLink(need.source));
        list.appendChild(item);
      });
      result.appendChild(list);
    }
  }

  function setUp(root) {
    if (root.getAttribute("data-ready") === "1") { return; }
    var dataNode = root.querySelector("script.decision-helper-data");
    if (!dataNode) { return; }
    var data = JSON.parse(dataNode.textContent);
    var id = root.getAttribute("data-helper-id");
    var form = el("form", { "class": "dh-form", "aria-describedby": id + "-result" });
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", {}, data.title));
    fieldset.appendChild(el("p", { "class": "dh-intro" }, data.legend));
    data.needs.forEach(function (need) {
      var row = el("div", { "class": "dh-need" });
      var box = el("input", { type: "checkbox", id: id + "-" + need.id, name: need.id, value: need.id });
      row.appendChild(box);
      row.appendChild(el("label", { "for": id + "-" + need.id }, need.label));
      fieldset.appendChild(row);
    });
    form.appendChild(fieldset);
    var clear = el("button", { type: "reset", "class": "dh-reset" }, "Clear all");
    form.appendChild(clear);
    var result = el("div", { "class": "dh-result", id: id + "-result", role: "status", "aria-live": "polite" });
    root.appendChild(form);
    root.appendChild(result);

    function update() {
      var ticked = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]:checked"))
        .map(function (b) { return b.value; });
      render(result, decide(data, ticked));
    }
    form.addEventListener("change", update);
    form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
    form.addEventListener("reset", function () { setTimeout(update, 0); });
    update();
    root.setAttribute("data-ready", "1");
  }

  function setUpAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".decision-helper[data-helper-id]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
