"""Question banks: one YAML file a chapter, checked against ``bank.schema.json``.

A broken bank must stop the book build with a message a chapter author can act on, so every
problem is reported with the file, the line, the question id and the field, all at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from courselab import paths

SCHEMA_PATH = Path(__file__).with_name("bank.schema.json")
QUESTION_TYPES = ("single", "multiple", "truefalse", "numeric", "classify")
#: The SAA-C03 exam domains a question may name (the schema's list).
DOMAINS: tuple[str, ...] = tuple(
    json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]["question"]["properties"]["domain"]["enum"]
)

Question = dict[str, Any]
"""One validated question, exactly as written in the YAML file (see ``bank.schema.json``)."""


class BankError(ValueError):
    """A question bank is missing or does not follow the schema; the message lists every problem."""


@dataclass(frozen=True)
class Bank:
    """A validated question bank."""

    name: str
    title: str
    path: Path
    questions: list[Question]

    def select(self, ids: Iterable[str] | None = None, tag: str | None = None) -> list[Question]:
        """The questions with these ids (in that order) or this tag; all of them by default."""
        if ids is not None:
            by_id = {q["id"]: q for q in self.questions}
            missing = [i for i in ids if i not in by_id]
            if missing:
                raise BankError(
                    f"{_shown(self.path)}: no question with id {', '.join(map(repr, missing))}; "
                    f"the ids are: {', '.join(by_id)}"
                )
            chosen = [by_id[i] for i in ids]
        else:
            chosen = list(self.questions)
        if tag is not None:
            chosen = [q for q in chosen if tag in q.get("tags", [])]
            if not chosen:
                tags = sorted({t for q in self.questions for t in q.get("tags", [])})
                raise BankError(
                    f"{_shown(self.path)}: no question has tag {tag!r}; the tags are: {', '.join(tags) or '(none)'}"
                )
        return chosen


def banks_dir() -> Path:
    """Where the banks live: ``$COURSELAB_QUIZ_DIR``, else ``chapters/quizzes`` of this repo."""
    env = os.environ.get("COURSELAB_QUIZ_DIR")
    if env:
        return Path(env)
    return paths.QUIZ_BANKS


def load_bank(name_or_path: str | os.PathLike[str]) -> Bank:
    """Load and validate a bank by chapter name (``"what-serverless"``) or by file path."""
    text_arg = str(name_or_path)
    if text_arg.endswith((".yml", ".yaml")) or os.sep in text_arg:
        path = Path(text_arg)
    else:
        path = banks_dir() / f"{text_arg}.yml"
    if not path.is_file():
        known = sorted(p.stem for p in banks_dir().glob("*.yml"))
        raise BankError(
            f"{_shown(path)}: no such question bank. Create it (see chapters/quizzes/"
            f"what-serverless.yml for the format) or use one of: {', '.join(known) or '(none)'}"
        )
    return _load(path.resolve(), path.stat().st_mtime_ns)


def load_all_banks(directory: Path | None = None) -> list[Bank]:
    """Every bank in the directory, checked together: question ids must be unique across banks,
    because the practice exam mixes them."""
    directory = directory or banks_dir()
    banks = [load_bank(p) for p in sorted(directory.glob("*.yml"))]
    seen: dict[str, Path] = {}
    problems = []
    for bank in banks:
        for q in bank.questions:
            if q["id"] in seen:
                problems.append(
                    f"{_shown(bank.path)}: question {q['id']!r}: field 'id': "
                    f"also used in {_shown(seen[q['id']])}; ids must be unique across all banks"
                )
            seen.setdefault(q["id"], bank.path)
    if problems:
        raise BankError("\n".join(problems))
    return banks


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _load(path: Path, _mtime: int) -> Bank:
    """Parse and validate; cached on (path, mtime) so an edited bank is re-read."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise BankError(f"{_shown(path)}: not valid YAML: {exc}") from None
    problems = [_describe(path, data, tree, e) for e in _schema_errors(data)]
    if not problems:
        problems = [_at(path, data, tree, where, msg) for where, msg in _semantic_errors(path, data)]
    if problems:
        header = f"{_shown(path)}: {len(problems)} problem(s) in this question bank:"
        raise BankError("\n  ".join([header, *problems]))
    return Bank(name=data["bank"], title=data["title"], path=path, questions=data["questions"])


def _schema_errors(data: Any) -> list[jsonschema.ValidationError]:
    validator = jsonschema.Draft202012Validator(_schema())
    errors: list[jsonschema.ValidationError] = []
    for error in validator.iter_errors(data):
        # "if/then" wraps nothing here: each error already points at the offending field.
        errors.append(error)
    return sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])


def _describe(path: Path, data: Any, tree: Any, error: jsonschema.ValidationError) -> str:
    where = list(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1]
        where = [*where, missing]
        hint = _REQUIRED_HINTS.get(missing, "")
        return _at(path, data, tree, where, f"missing.{hint}")
    if kind == "additionalProperties":
        return _at(path, data, tree, where, f"{error.message}; see bank.schema.json for the fields")
    if kind == "enum" and where and where[-1] == "type":
        return _at(
            path,
            data,
            tree,
            where,
            f"unknown type {error.instance!r}; use one of: {', '.join(QUESTION_TYPES)}",
        )
    if kind == "enum":
        return _at(path, data, tree, where, f"{error.instance!r} is not one of {error.validator_value}")
    if kind == "pattern" and where and where[-1] == "source":
        return _at(path, data, tree, where, "must be an https:// URL of an AWS page (docs.aws.amazon.com)")
    if kind == "minLength" and where and where[-1] in ("feedback", "if_true", "if_false"):
        return _at(path, data, tree, where, "feedback must explain why (at least 10 characters)")
    return _at(path, data, tree, where, error.message)


_REQUIRED_HINTS = {
    "feedback": " Every option needs feedback that says why it is right or wrong.",
    "correct": " Say `correct: true` or `correct: false` for every option.",
    "source": " Link the AWS documentation page that settles the answer.",
    "domain": " Name the exam domain, e.g. 'Design High-Performing Architectures'.",
    "topic": " Name the topic, e.g. 'Serverless compute'.",
    "answer": " Give the correct answer.",
}


def _semantic_errors(path: Path, data: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """Rules a JSON schema cannot say: unique ids, the number of right options, categories."""
    problems: list[tuple[list[Any], str]] = []
    if data["bank"] != path.stem:
        problems.append((["bank"], f"is {data['bank']!r} but the file is {path.name}; make them equal"))
    seen: set[str] = set()
    for i, q in enumerate(data["questions"]):
        at = ["questions", i]
        if q["id"] in seen:
            problems.append(([*at, "id"], f"duplicate id {q['id']!r}"))
        seen.add(q["id"])
        kind = q["type"]
        if kind in ("single", "multiple"):
            right = [o for o in q["options"] if o["correct"]]
            texts = [o["text"] for o in q["options"]]
            if len(set(texts)) != len(texts):
                problems.append(([*at, "options"], "two options have the same text"))
            if kind == "single" and len(right) != 1:
                what = "no option is" if not right else f"{len(right)} options are"
                problems.append(
                    (
                        [*at, "options"],
                        f"{what} marked `correct: true`; a single-choice question "
                        "needs exactly one correct answer (or use type: multiple)",
                    )
                )
            if kind == "multiple" and len(right) != q["choose"]:
                problems.append(
                    (
                        [*at, "choose"],
                        f"says choose {q['choose']} but {len(right)} option(s) are marked `correct: true`",
                    )
                )
        if kind == "classify":
            for j, item in enumerate(q["items"]):
                if item["category"] not in q["categories"]:
                    problems.append(
                        (
                            [*at, "items", j, "category"],
                            f"{item['category']!r} is not one of the categories {q['categories']}",
                        )
                    )
    return problems


def _at(path: Path, data: Any, tree: Any, where: list[Any], message: str) -> str:
    """Format one problem as ``file:line: question 'id': field 'a.b[2].c': message``."""
    line = _line_of(tree, where)
    loc = f"{_shown(path)}:{line}" if line else _shown(path)
    qid = None
    if len(where) >= 2 and where[0] == "questions" and isinstance(where[1], int):
        try:
            qid = data["questions"][where[1]].get("id")
        except (AttributeError, IndexError, KeyError, TypeError):
            qid = None
        field = _dotted(where[2:])
        who = f"question {qid!r}" if qid else f"question #{where[1] + 1} (no id)"
        return f"{loc}: {who}: field '{field or '(question)'}': {message}"
    return f"{loc}: field '{_dotted(where) or '(file)'}': {message}"


def _dotted(where: list[Any]) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(tree: Any, where: list[Any]) -> int | None:
    """The 1-based line of the deepest YAML node on this path (for a missing key: its parent)."""
    node = tree
    for part in where:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node = child
    return node.start_mark.line + 1 if node is not None else None


def _shown(path: Path) -> str:
    """The path relative to the repository root when it is inside it (as authors see it)."""
    root = paths.REPO_ROOT
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)
