/* The practice exam: draws N questions from every bank with a seeded shuffle, optional timer,
 * scores the attempt with a breakdown by exam domain and topic, reviews wrong answers with a link
 * back to the chapter, and keeps progress in localStorage. The full mock draws the real exam's
 * length by its domain weights, times it as the exam does and gives a scaled score (the course's
 * own linear approximation; see courselab/book/quiz/mock.py). Needs quiz.js (window.CourselabQuiz).
 */
(function () {
  "use strict";
  var Q = window.CourselabQuiz;
  var KEY = "courselab.practiceExam.v1";

  function load() {
    try {
      return JSON.parse(window.localStorage.getItem(KEY) || "null") || { attempt: null, history: [] };
    } catch (err) {
      return { attempt: null, history: [] };
    }
  }

  function save(store) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(store));
    } catch (err) {
      /* Storage may be off (private mode): the exam still works, it just forgets on reload. */
    }
  }

  function randomSeed() {
    return String(Math.floor(Math.random() * 900000) + 100000);
  }

  function pct(right, total) {
    return total ? Math.round((100 * right) / total) : 0;
  }

  function mmss(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function mount(root) {
    if (root.getAttribute("data-ready") === "true") return;
    root.setAttribute("data-ready", "true");
    var el = Q.el;
    var data = Q.readData(root);
    var byId = {};
    data.questions.forEach(function (q) { byId[q.id] = q; });
    var bankOf = {};
    data.banks.forEach(function (b) { bankOf[b.name] = b; });
    var mock = data.mock;
    var total = data.questions.length;
    var store = load();
    var timerHandle = null;
    var views = [];

    /* --- setup --- */
    var nInput = el("input", { type: "number", id: "pe-n", min: "1", max: String(total), value: String(Math.min(data.default_n, total)) });
    var seedInput = el("input", { type: "text", id: "pe-seed", value: randomSeed(), autocomplete: "off", "aria-describedby": "pe-seed-help" });
    var newSeed = el("button", { type: "button", className: "quiz-button pe-new-seed", text: "New seed" });
    var timerBox = el("input", { type: "checkbox", id: "pe-timer" });
    var minutesInput = el("input", { type: "number", id: "pe-minutes", min: "1", value: String(Math.ceil(Math.min(data.default_n, total) * data.minutes_per_question)) });
    var startBtn = el("button", { type: "submit", className: "quiz-button pe-start", text: "Start the exam" });
    var practiceMode = el("input", { type: "radio", name: "pe-mode", id: "pe-mode-practice", value: "practice", checked: true });
    var mockMode = el("input", { type: "radio", name: "pe-mode", id: "pe-mode-mock", value: "mock", disabled: !mock });
    var mockHelp = mock ? "Full mock: " + mock.questions + " questions drawn by the exam's domain weights, " + mock.minutes +
      " minutes, a score from " + mock.score.min + " to " + mock.score.max + " (" + mock.score.pass + " to pass)." : "";
    var modeRow = el("fieldset", { className: "pe-row pe-mode" }, [
      el("legend", { text: "Mode" }),
      practiceMode, el("label", { for: "pe-mode-practice", text: "Practice (choose the number and the timer)" }),
      mockMode, el("label", { for: "pe-mode-mock", text: "Full mock exam" }),
      el("p", { id: "pe-mode-help", className: "quiz-hint", text: mockHelp })
    ]);
    var setup = el("form", { className: "pe-setup", novalidate: true }, [
      el("fieldset", { className: "quiz-q" }, [
        el("legend", { text: "Set up an attempt (" + total + " questions in " + data.banks.length + " banks)" }),
        modeRow,
        el("div", { className: "pe-row" }, [el("label", { for: "pe-n", text: "Number of questions" }), nInput]),
        el("div", { className: "pe-row" }, [el("label", { for: "pe-seed", text: "Seed" }), seedInput, newSeed]),
        el("p", { id: "pe-seed-help", className: "quiz-hint", text: "The same seed and number draw the same questions in the same order: share it to compare attempts." }),
        el("div", { className: "pe-row" }, [
          timerBox, el("label", { for: "pe-timer", text: "Use a timer of" }),
          minutesInput, el("label", { for: "pe-minutes", text: "minutes" })
        ]),
        el("div", { className: "quiz-actions" }, [startBtn])
      ])
    ]);
    newSeed.addEventListener("click", function () { seedInput.value = randomSeed(); seedInput.focus(); });
    nInput.addEventListener("change", function () {
      minutesInput.value = String(Math.max(1, Math.ceil(Number(nInput.value || 1) * data.minutes_per_question)));
    });
    function onMode() {
      var isMock = mockMode.checked;
      if (isMock) {
        nInput.value = String(Math.min(mock.questions, total));
        minutesInput.value = String(mock.minutes);
        timerBox.checked = true;
      }
      [nInput, minutesInput, timerBox].forEach(function (input) { input.disabled = isMock; });
    }
    practiceMode.addEventListener("change", onMode);
    mockMode.addEventListener("change", onMode);

    /* The mock's draw: each domain's share of the length from its own questions (seeded), topped up
     * from the rest when a domain has too few, then shuffled together. */
    function mockDraw(seed) {
      var chosen = [];
      Object.keys(mock.counts).forEach(function (domain) {
        var ids = data.questions.filter(function (q) { return q.domain === domain; }).map(function (q) { return q.id; });
        chosen = chosen.concat(Q.seededShuffle(ids, seed + "|" + domain).slice(0, mock.counts[domain]));
      });
      var rest = data.questions.map(function (q) { return q.id; }).filter(function (id) { return chosen.indexOf(id) < 0; });
      var missing = Math.min(mock.questions, total) - chosen.length;
      if (missing > 0) chosen = chosen.concat(Q.seededShuffle(rest, seed + "|rest").slice(0, missing));
      return Q.seededShuffle(chosen, seed);
    }

    function scaled(right, n) {
      return Math.round(mock.score.min + (mock.score.max - mock.score.min) * (n ? right / n : 0));
    }

    /* --- attempt --- */
    var status = el("div", { className: "pe-status" });
    var clock = el("span", { className: "pe-clock", role: "timer", "aria-live": "off" });
    var alerts = el("p", { className: "pe-alerts", "aria-live": "assertive" });
    var list = el("ol", { className: "quiz-list pe-questions" });
    var submitBtn = el("button", { type: "button", className: "quiz-button pe-submit", text: "Submit answers" });
    var attemptBox = el("section", { className: "pe-attempt", "aria-label": "Exam questions", hidden: true }, [
      status, alerts, list, el("div", { className: "quiz-actions" }, [submitBtn])
    ]);

    /* --- results, history, reset --- */
    var results = el("div", { className: "pe-results quiz-feedback", "aria-live": "polite", role: "status" });
    var again = el("button", { type: "button", className: "quiz-button pe-again", text: "New attempt", hidden: true });
    var resetBtn = el("button", { type: "button", className: "quiz-button pe-reset", text: "Reset progress" });
    var history = el("div", { className: "pe-history" });

    function renderHistory() {
      history.textContent = "";
      if (!store.history.length) return;
      var ul = el("ul");
      store.history.slice(-10).reverse().forEach(function (h) {
        var line = new Date(h.when).toLocaleString() + ": " + h.correct + "/" + h.total + " (" + pct(h.correct, h.total) + " %), seed " + h.seed;
        if (h.mode === "mock") line += ", full mock, scaled " + h.scaled;
        ul.appendChild(el("li", { text: line }));
      });
      history.appendChild(el("p", {}, [el("strong", { text: "Earlier attempts (kept in this browser)" })]));
      history.appendChild(ul);
    }

    function showSetup() {
      stopTimer();
      setup.hidden = false;
      attemptBox.hidden = true;
      again.hidden = true;
      results.textContent = "";
      list.textContent = "";
      views = [];
      renderHistory();
    }

    function updateStatus() {
      var a = store.attempt;
      if (!a) return;
      var answered = a.ids.filter(function (id) { return isAnswered(byId[id], a.answers[id]); }).length;
      status.textContent = "";
      if (a.mode === "mock") status.appendChild(el("span", { className: "pe-mode-shown", text: "Full mock" }));
      status.appendChild(el("span", { className: "pe-seed-shown", text: "Seed " + a.seed }));
      status.appendChild(el("span", { className: "pe-progress", text: "Answered " + answered + " of " + a.ids.length }));
      if (a.deadline) status.appendChild(clock);
    }

    function isAnswered(q, answer) {
      if (answer === null || answer === undefined) return false;
      if (q.type === "multiple") return answer.length > 0;
      if (q.type === "numeric") return String(answer).trim() !== "";
      if (q.type === "classify") return answer.some(function (c) { return c !== null; });
      return true;
    }

    function startTimer() {
      stopTimer();
      var a = store.attempt;
      if (!a || !a.deadline || a.finished) return;
      var warned = {};
      function tick() {
        var left = a.deadline - Date.now();
        clock.textContent = "Time left " + mmss(left);
        [300, 60].forEach(function (s) {
          if (left <= s * 1000 && left > 0 && !warned[s]) {
            warned[s] = true;
            alerts.textContent = (s / 60) + " minute" + (s > 60 ? "s" : "") + " left.";
          }
        });
        if (left <= 0) {
          alerts.textContent = "Time is up: your answers were submitted.";
          finish();
        }
      }
      tick();
      timerHandle = window.setInterval(tick, 1000);
    }

    function stopTimer() {
      if (timerHandle) window.clearInterval(timerHandle);
      timerHandle = null;
    }

    function renderAttempt() {
      var a = store.attempt;
      setup.hidden = true;
      attemptBox.hidden = false;
      list.textContent = "";
      views = a.ids.map(function (id, i) {
        var q = byId[id];
        var view = Q.renderQuestion(q, { prefix: "pe", number: i + 1 });
        view.set(a.answers[id]);
        var onChange = function () {
          if (store.attempt && !store.attempt.finished) {
            store.attempt.answers[id] = view.read();
            save(store);
            updateStatus();
          }
        };
        view.fieldset.addEventListener("change", onChange);
        view.fieldset.addEventListener("input", onChange);
        view.fieldset.appendChild(view.feedback);
        list.appendChild(el("li", {}, [view.fieldset]));
        return view;
      });
      updateStatus();
      if (a.finished) showResults();
      else startTimer();
    }

    function start() {
      var isMock = mockMode.checked;
      var n = Math.max(1, Math.min(total, Math.floor(Number(nInput.value) || 1)));
      var seed = seedInput.value.trim() || randomSeed();
      var ids = isMock ? mockDraw(seed) : Q.seededShuffle(data.questions.map(function (q) { return q.id; }), seed).slice(0, n);
      var minutes = isMock ? mock.minutes : Math.max(1, Number(minutesInput.value) || 1);
      store.attempt = {
        mode: isMock ? "mock" : "practice", seed: seed, n: ids.length, ids: ids, answers: {}, started: Date.now(),
        deadline: isMock || timerBox.checked ? Date.now() + minutes * 60000 : null, finished: false
      };
      save(store);
      renderAttempt();
      if (views[0] && views[0].controls[0]) views[0].controls[0].focus();
    }

    function grade() {
      var a = store.attempt;
      return a.ids.map(function (id) {
        var q = byId[id];
        var answer = a.answers[id];
        try {
          var v = Q.check(q, answer);
          return { q: q, answer: answer, verdict: v, correct: v.correct };
        } catch (err) {
          if (!(err instanceof Q.Incomplete)) throw err;
          return { q: q, answer: answer, verdict: null, correct: false, incomplete: err.message };
        }
      });
    }

    function finish() {
      var a = store.attempt;
      if (!a || a.finished) return;
      stopTimer();
      a.answers = {};
      views.forEach(function (v) { a.answers[v.question.id] = v.read(); });
      a.finished = true;
      var graded = grade();
      var right = graded.filter(function (g) { return g.correct; }).length;
      var entry = { when: Date.now(), seed: a.seed, correct: right, total: graded.length, mode: a.mode || "practice" };
      if (a.mode === "mock") entry.scaled = scaled(right, graded.length);
      store.history.push(entry);
      save(store);
      showResults();
      results.focus();
    }

    function table(caption, rows) {
      var t = el("table", { className: "pe-breakdown" }, [
        el("caption", { text: caption }),
        el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: caption.replace("By ", "") }), el("th", { scope: "col", text: "Right" }), el("th", { scope: "col", text: "Score" })])])
      ]);
      var body = el("tbody");
      Object.keys(rows).sort().forEach(function (k) {
        var r = rows[k];
        body.appendChild(el("tr", {}, [el("th", { scope: "row", text: k }), el("td", { text: r[0] + " of " + r[1] }), el("td", { text: pct(r[0], r[1]) + " %" })]));
      });
      t.appendChild(body);
      return t;
    }

    function showResults() {
      var graded = grade();
      var right = graded.filter(function (g) { return g.correct; }).length;
      var byDomain = {}, byTopic = {};
      graded.forEach(function (g) {
        [[byDomain, g.q.domain], [byTopic, g.q.topic]].forEach(function (pair) {
          var row = pair[0][pair[1]] || (pair[0][pair[1]] = [0, 0]);
          row[0] += g.correct ? 1 : 0;
          row[1] += 1;
        });
      });
      views.forEach(function (view, i) {
        view.setDisabled(true);
        var g = graded[i];
        if (g.verdict) view.showVerdict(g.verdict);
        else view.showMessage("Not answered: counted as wrong.");
      });
      submitBtn.hidden = true;
      again.hidden = false;
      results.textContent = "";
      results.setAttribute("tabindex", "-1");
      results.appendChild(el("p", { className: "pe-score quiz-verdict" }, [
        el("strong", { text: "You scored " + right + " of " + graded.length + " (" + pct(right, graded.length) + " %)." }),
        " Seed " + store.attempt.seed + "."
      ]));
      if (store.attempt.mode === "mock") {
        var points = scaled(right, graded.length);
        var passed = points >= mock.score.pass;
        results.appendChild(el("p", { className: "pe-scaled quiz-verdict", "data-scaled": String(points), "data-passed": String(passed) }, [
          el("strong", { text: "Scaled score " + points + " of " + mock.score.max + ": " + (passed ? "pass" : "not yet a pass") + " (" + mock.score.pass + " needed)." }),
          " The scale is the course's own approximation (linear from " + mock.score.min + " for none right to " + mock.score.max +
          " for all right). AWS scales by equating exam forms and does not publish how; see the ",
          el("a", { href: mock.sources.guide, rel: "noopener noreferrer", target: "_blank", text: "exam guide" }), "."
        ]));
      }
      results.appendChild(table("By exam domain", byDomain));
      results.appendChild(table("By topic", byTopic));
      var wrong = graded.filter(function (g) { return !g.correct; });
      results.appendChild(el("p", {}, [el("strong", { text: wrong.length ? "Review of wrong answers (" + wrong.length + ")" : "No wrong answers to review." })]));
      var review = el("ol", { className: "pe-review" });
      wrong.forEach(function (g) {
        var item = el("li", { className: "pe-review-item", "data-qid": g.q.id });
        item.appendChild(el("p", {}, [el("strong", {}, [Q.inline(g.q.prompt)])]));
        item.appendChild(el("p", { className: "pe-your-answer" }, ["✗ Your answer: ", Q.describeAnswer(g.q, g.answer)]));
        if (g.verdict) {
          var mine = el("ul", { className: "quiz-notes" });
          g.verdict.notes.filter(function (n) { return !n.right; }).forEach(function (n) {
            mine.appendChild(el("li", { className: "quiz-note quiz-note--wrong" }, [el("span", { className: "quiz-mark", text: "✗ Why not: " }), el("strong", {}, [Q.inline(n.label)]), " — ", Q.inline(n.text)]));
          });
          item.appendChild(mine);
        }
        var best = Q.correctAnswer(g.q);
        item.appendChild(el("p", { className: "pe-right-answer" }, ["✓ Right answer: ", Q.describeAnswer(g.q, best)]));
        var why = el("ul", { className: "quiz-notes" });
        Q.check(g.q, best).notes.forEach(function (n) {
          why.appendChild(el("li", { className: "quiz-note quiz-note--right" }, [el("span", { className: "quiz-mark", text: "✓ Why: " }), Q.inline(n.text)]));
        });
        item.appendChild(why);
        if (g.q.explanation) item.appendChild(el("p", {}, [Q.inline(g.q.explanation)]));
        item.appendChild(el("p", { className: "quiz-source" }, ["Source: ", el("a", { href: g.q.source, rel: "noopener noreferrer", target: "_blank", text: g.q.source.replace(/^https:\/\//, "") })]));
        var chapter = bankOf[g.q.bank];
        if (chapter && chapter.href) {
          var href = chapter.href + (g.q.section ? "#" + g.q.section : "");
          item.appendChild(el("p", { className: "pe-read-again" }, ["Read again: ", el("a", { href: href, text: chapter.title.replace(/^Check yourself: /, "") + (g.q.section ? " § " + g.q.section.replace(/-/g, " ") : "") })]));
        }
        review.appendChild(item);
      });
      results.appendChild(review);
      renderHistory();
    }

    setup.addEventListener("submit", function (event) { event.preventDefault(); start(); });
    submitBtn.addEventListener("click", finish);
    again.addEventListener("click", function () {
      store.attempt = null;
      save(store);
      showSetup();
      seedInput.value = randomSeed();
      nInput.focus();
    });
    resetBtn.addEventListener("click", function () {
      store = { attempt: null, history: [] };
      try { window.localStorage.removeItem(KEY); } catch (err) { /* storage off */ }
      showSetup();
      alerts.textContent = "";
      results.textContent = "Progress reset: no attempt and no history are stored any more.";
      nInput.focus();
    });

    var fallback = root.querySelector(".quiz-noscript");
    if (fallback) fallback.remove();
    root.appendChild(el("div", { className: "quiz-ui" }, [
      setup, attemptBox, results,
      el("div", { className: "quiz-actions" }, [again, resetBtn]),
      history
    ]));

    /* Resume a stored attempt if its questions still exist. */
    var a = store.attempt;
    if (a && a.ids.every(function (id) { return byId[id]; })) renderAttempt();
    else {
      store.attempt = null;
      showSetup();
    }
  }

  function mountAll() {
    Array.prototype.forEach.call(document.querySelectorAll(".quiz.practice-exam[data-quiz-id]"), mount);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
