/* Course quizzes on the static site: no kernel, no network.
 *
 * Each quiz is a div of class "quiz" with a data-quiz-id attribute, holding its questions as
 * JSON in a script element of type application/json and class quiz-data. This file renders them with real form
 * controls and checks answers with the same rules as courselab/quiz/scoring.py.
 * It is inlined once per page; loading it twice is harmless.
 */
(function () {
  "use strict";
  if (window.CourselabQuiz) {
    window.CourselabQuiz.mountAll();
    return;
  }

  /* ---- small DOM helpers (textContent only: bank text is never parsed as HTML) ---- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "className") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  /* Text with `code` spans, as in the YAML banks. */
  function inline(text) {
    var frag = document.createDocumentFragment();
    String(text).split(/(`[^`]+`)/).forEach(function (part) {
      if (/^`[^`]+`$/.test(part)) frag.appendChild(el("code", { text: part.slice(1, -1) }));
      else if (part) frag.appendChild(document.createTextNode(part));
    });
    return frag;
  }

  function span(text) {
    var s = el("span");
    s.appendChild(inline(text));
    return s;
  }

  /* ---- checking answers: keep equal to scoring.py ---- */
  function Incomplete(message) {
    this.message = message;
  }

  function parseNumber(raw) {
    if (typeof raw === "number") return raw;
    var text = String(raw === null || raw === undefined ? "" : raw).trim().replace(/,/g, "");
    var value = text === "" ? NaN : Number(text);
    if (!isFinite(value)) throw new Incomplete("Enter a number, e.g. 15 or 0.5 (digits only).");
    return value;
  }

  function close(value, target, tolerance) {
    return Math.abs(value - target) <= tolerance + 1e-9 * Math.max(1, Math.abs(target));
  }

  function fmt(value) {
    return String(value);
  }

  function check(q, answer) {
    var note = function (label, right, text) {
      return { label: label, right: right, text: text };
    };
    var explanation = q.explanation || null;
    if (q.type === "single") {
      if (answer === null || answer === undefined) throw new Incomplete("Choose an answer first.");
      var o = q.options[answer];
      return { correct: o.correct, notes: [note(o.text, o.correct, o.feedback)], explanation: explanation };
    }
    if (q.type === "multiple") {
      var chosen = (answer || []).slice().sort(function (a, b) { return a - b; });
      if (chosen.length !== q.choose) {
        throw new Incomplete("Choose exactly " + q.choose + " answers (you chose " + chosen.length + ").");
      }
      var ok = true;
      q.options.forEach(function (opt, i) {
        if (opt.correct !== (chosen.indexOf(i) >= 0)) ok = false;
      });
      return {
        correct: ok,
        notes: chosen.map(function (i) { return note(q.options[i].text, q.options[i].correct, q.options[i].feedback); }),
        explanation: explanation
      };
    }
    if (q.type === "truefalse") {
      if (answer !== true && answer !== false) throw new Incomplete("Choose True or False first.");
      var right = answer === q.answer;
      return { correct: right, notes: [note(answer ? "True" : "False", right, answer ? q.if_true : q.if_false)], explanation: explanation };
    }
    if (q.type === "numeric") {
      var value = parseNumber(answer);
      var tol = q.tolerance || 0;
      var label = (fmt(value) + " " + (q.unit || "")).trim();
      if (close(value, q.answer, tol)) return { correct: true, notes: [note(label, true, q.correct_feedback)], explanation: explanation };
      var common = (q.common_wrong || []).filter(function (c) { return close(value, c.value, tol); })[0];
      return { correct: false, notes: [note(label, false, common ? common.feedback : q.wrong_feedback)], explanation: explanation };
    }
    if (q.type === "classify") {
      var placed = answer || [];
      if (placed.length < q.items.length || placed.some(function (c) { return c === null || c === undefined; })) {
        throw new Incomplete("Put every item in a category first.");
      }
      var notes = q.items.map(function (item, i) {
        return note(item.text + ": " + placed[i], placed[i] === item.category, item.feedback);
      });
      return { correct: notes.every(function (n) { return n.right; }), notes: notes, explanation: explanation };
    }
    throw new Error("unknown question type " + q.type);
  }

  function correctAnswer(q) {
    if (q.type === "single") return q.options.findIndex(function (o) { return o.correct; });
    if (q.type === "multiple") return q.options.map(function (o, i) { return o.correct ? i : -1; }).filter(function (i) { return i >= 0; });
    if (q.type === "truefalse" || q.type === "numeric") return q.answer;
    if (q.type === "classify") return q.items.map(function (item) { return item.category; });
    return null;
  }

  /* A readable form of an answer, for the exam review. */
  function describeAnswer(q, answer) {
    if (answer === null || answer === undefined || (Array.isArray(answer) && !answer.length)) return "(no answer)";
    if (q.type === "single") return q.options[answer] ? q.options[answer].text : "(no answer)";
    if (q.type === "multiple") return answer.map(function (i) { return q.options[i].text; }).join("; ");
    if (q.type === "truefalse") return answer ? "True" : "False";
    if (q.type === "numeric") return (String(answer) + " " + (q.unit || "")).trim();
    if (q.type === "classify") return q.items.map(function (item, i) { return item.text + ": " + (answer[i] || "?"); }).join("; ");
    return String(answer);
  }

  /* ---- rendering one question as a form with a fieldset ---- */
  function renderQuestion(q, opts) {
    var prefix = opts.prefix + "-" + q.id;
    var fieldset = el("fieldset", { className: "quiz-q", "data-qid": q.id, "data-type": q.type });
    var legend = el("legend", { className: "quiz-prompt", id: prefix + "-legend" });
    if (opts.number) legend.appendChild(el("span", { className: "quiz-num", text: opts.number + ". " }));
    legend.appendChild(inline(q.prompt));
    if (q.type === "multiple") legend.appendChild(el("span", { className: "quiz-hint", text: " (Choose " + q.choose + ".)" }));
    fieldset.appendChild(legend);

    var body = el("div", { className: "quiz-body" });
    var controls = [];
    function choice(type, name, value, labelText, idx) {
      var id = prefix + "-" + idx;
      var input = el("input", { type: type, id: id, name: name, value: String(value) });
      controls.push(input);
      var label = el("label", { for: id }, [span(labelText)]);
      return el("div", { className: "quiz-choice" }, [input, label]);
    }
    if (q.type === "single" || q.type === "multiple") {
      /* Shown in an order of their own (fixed by the question's id), so the right answer's place in
       * the bank gives nothing away; each input's value stays the option's index in the bank. */
      seededShuffle(q.options.map(function (o, i) { return i; }), "options|" + q.id).forEach(function (i) {
        body.appendChild(choice(q.type === "single" ? "radio" : "checkbox", prefix, i, q.options[i].text, i));
      });
    } else if (q.type === "truefalse") {
      body.appendChild(choice("radio", prefix, "true", "True", "t"));
      body.appendChild(choice("radio", prefix, "false", "False", "f"));
    } else if (q.type === "numeric") {
      var id = prefix + "-value";
      var input = el("input", { type: "text", inputmode: "decimal", id: id, autocomplete: "off", className: "quiz-number", "aria-describedby": q.unit ? id + "-unit" : null });
      controls.push(input);
      body.appendChild(el("div", { className: "quiz-numeric" }, [
        el("label", { for: id, text: "Your answer" }),
        input,
        q.unit ? el("span", { id: id + "-unit", className: "quiz-unit", text: q.unit }) : null
      ]));
    } else if (q.type === "classify") {
      var list = el("div", { className: "quiz-classify" });
      q.items.forEach(function (item, i) {
        var group = el("fieldset", { className: "quiz-item", "data-item": String(i) });
        group.appendChild(el("legend", {}, [span(item.text)]));
        q.categories.forEach(function (cat, j) {
          group.appendChild(choice("radio", prefix + "-item" + i, cat, cat, "i" + i + "c" + j));
        });
        list.appendChild(group);
      });
      body.appendChild(list);
    }
    fieldset.appendChild(body);

    var feedback = el("div", { className: "quiz-feedback", id: prefix + "-feedback", "aria-live": "polite", role: "status" });

    function read() {
      if (q.type === "single") {
        var c = controls.filter(function (x) { return x.checked; })[0];
        return c ? Number(c.value) : null;
      }
      if (q.type === "multiple") return controls.filter(function (x) { return x.checked; }).map(function (x) { return Number(x.value); });
      if (q.type === "truefalse") {
        var t = controls.filter(function (x) { return x.checked; })[0];
        return t ? t.value === "true" : null;
      }
      if (q.type === "numeric") return controls[0].value;
      if (q.type === "classify") {
        return q.items.map(function (_, i) {
          var picked = controls.filter(function (x) { return x.name === prefix + "-item" + i && x.checked; })[0];
          return picked ? picked.value : null;
        });
      }
      return null;
    }

    function set(answer) {
      if (answer === null || answer === undefined) return;
      controls.forEach(function (x) {
        if (q.type === "single") x.checked = Number(x.value) === answer;
        else if (q.type === "multiple") x.checked = answer.indexOf(Number(x.value)) >= 0;
        else if (q.type === "truefalse") x.checked = (x.value === "true") === answer;
        else if (q.type === "numeric") x.value = answer;
        else if (q.type === "classify") {
          var i = Number(x.name.slice((prefix + "-item").length));
          x.checked = answer[i] === x.value;
        }
      });
    }

    function clear() {
      controls.forEach(function (x) {
        if (x.type === "text") x.value = "";
        else x.checked = false;
      });
      feedback.textContent = "";
      fieldset.classList.remove("quiz-q--right", "quiz-q--wrong");
    }

    function showMessage(text) {
      feedback.textContent = "";
      feedback.appendChild(el("p", { className: "quiz-verdict quiz-verdict--hint" }, [el("span", { "aria-hidden": "true", text: "ℹ " }), text]));
    }

    function showVerdict(v, extra) {
      feedback.textContent = "";
      fieldset.classList.toggle("quiz-q--right", v.correct);
      fieldset.classList.toggle("quiz-q--wrong", !v.correct);
      feedback.appendChild(el("p", { className: "quiz-verdict " + (v.correct ? "quiz-verdict--right" : "quiz-verdict--wrong") }, [
        el("span", { className: "quiz-icon", "aria-hidden": "true", text: v.correct ? "✓ " : "✗ " }),
        el("strong", { text: v.correct ? "Correct." : "Not quite." })
      ]));
      var ul = el("ul", { className: "quiz-notes" });
      v.notes.forEach(function (n) {
        ul.appendChild(el("li", { className: "quiz-note " + (n.right ? "quiz-note--right" : "quiz-note--wrong") }, [
          el("span", { className: "quiz-mark", text: n.right ? "✓ Right: " : "✗ Wrong: " }),
          el("strong", {}, [span(n.label)]),
          " — ",
          span(n.text)
        ]));
      });
      feedback.appendChild(ul);
      if (v.explanation) feedback.appendChild(el("p", { className: "quiz-explanation" }, [span(v.explanation)]));
      if (extra) feedback.appendChild(extra);
    }

    function setDisabled(disabled) {
      controls.forEach(function (x) { x.disabled = disabled; });
    }

    var source = el("p", { className: "quiz-source" }, [
      "Source: ",
      el("a", { href: q.source, rel: "noopener noreferrer", target: "_blank", text: q.source.replace(/^https:\/\//, "") })
    ]);

    return {
      question: q,
      fieldset: fieldset,
      feedback: feedback,
      source: source,
      controls: controls,
      read: read,
      set: set,
      clear: clear,
      showVerdict: showVerdict,
      showMessage: showMessage,
      setDisabled: setDisabled
    };
  }

  /* ---- a chapter quiz: check each question, see feedback, retry, running score ---- */
  function readData(root) {
    var script = root.querySelector('script[type="application/json"].quiz-data');
    return JSON.parse(script.textContent);
  }

  function mount(root) {
    if (root.getAttribute("data-ready") === "true" || root.classList.contains("practice-exam")) return;
    root.setAttribute("data-ready", "true");
    var data = readData(root);
    var quizId = root.getAttribute("data-quiz-id");
    var state = {};
    var ui = el("div", { className: "quiz-ui" });
    if (data.title) ui.appendChild(el("p", { className: "quiz-title" }, [el("strong", { text: data.title })]));
    var score = el("p", { className: "quiz-score", "aria-live": "polite" });
    var list = el("ol", { className: "quiz-list" });

    function updateScore() {
      var answered = 0, right = 0;
      data.questions.forEach(function (q) {
        if (state[q.id] !== undefined) answered += 1;
        if (state[q.id] === true) right += 1;
      });
      score.textContent = "Score: " + right + " right of " + data.questions.length + " (" + answered + " checked).";
    }

    data.questions.forEach(function (q, i) {
      var view = renderQuestion(q, { prefix: quizId, number: i + 1 });
      var form = el("form", { className: "quiz-form", novalidate: true, "aria-labelledby": quizId + "-" + q.id + "-legend" });
      var checkBtn = el("button", { type: "submit", className: "quiz-button quiz-check", text: "Check" });
      var retryBtn = el("button", { type: "button", className: "quiz-button quiz-retry", text: "Try again", hidden: true });
      view.fieldset.appendChild(el("div", { className: "quiz-actions" }, [checkBtn, retryBtn]));
      view.fieldset.appendChild(view.feedback);
      view.fieldset.appendChild(view.source);
      form.appendChild(view.fieldset);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var verdict;
        try {
          verdict = check(q, view.read());
        } catch (err) {
          if (err instanceof Incomplete) { view.showMessage(err.message); return; }
          throw err;
        }
        state[q.id] = verdict.correct;
        view.showVerdict(verdict);
        retryBtn.hidden = false;
        updateScore();
      });
      retryBtn.addEventListener("click", function () {
        view.clear();
        delete state[q.id];
        retryBtn.hidden = true;
        updateScore();
        if (view.controls[0]) view.controls[0].focus();
      });
      list.appendChild(el("li", { className: "quiz-item-li" }, [form]));
    });
    ui.appendChild(list);
    ui.appendChild(score);
    updateScore();
    var fallback = root.querySelector(".quiz-noscript");
    if (fallback) fallback.remove();
    root.appendChild(ui);
  }

  function mountAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".quiz[data-quiz-id]"), function (root) {
      try {
        mount(root);
      } catch (err) {
        root.appendChild(el("p", { className: "quiz-error", role: "alert", text: "This quiz could not start: " + err.message }));
        throw err;
      }
    });
  }

  /* ---- a seeded random generator (the practice exam draws with it) ---- */
  function seedHash(text) {
    var h = 1779033703 ^ String(text).length;
    for (var i = 0; i < String(text).length; i++) {
      h = Math.imul(h ^ String(text).charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    return h >>> 0;
  }

  function mulberry32(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function seededShuffle(items, seedText) {
    var random = mulberry32(seedHash(seedText));
    var out = items.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1));
      var tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }

  /* The stylesheet travels inside the first quiz's output; keep it when that output is cleared. */
  function adoptStyles() {
    var style = document.getElementById("courselab-quiz-css");
    if (style && style.parentNode !== document.head) document.head.appendChild(style);
  }

  window.CourselabQuiz = {
    check: check,
    correctAnswer: correctAnswer,
    describeAnswer: describeAnswer,
    Incomplete: Incomplete,
    renderQuestion: renderQuestion,
    readData: readData,
    el: el,
    inline: inline,
    mount: mount,
    mountAll: mountAll,
    seededShuffle: seededShuffle
  };

  adoptStyles();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
