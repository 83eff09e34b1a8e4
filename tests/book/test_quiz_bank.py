"""Question banks: the real ones are valid, and a broken one gets a message naming the file,
the line, the question and the field, at load time and when the book is built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from courselab import paths
from courselab.book.quiz import BankError, load_all_banks, load_bank, show
from courselab.book.quiz.bank import banks_dir

REPO = paths.REPO_ROOT

GOOD = {
    "bank": "demo",
    "title": "Demo",
    "questions": [
        {
            "id": "q-single",
            "type": "single",
            "domain": "Design Resilient Architectures",
            "topic": "Serverless services",
            "tags": ["scaling"],
            "source": "https://docs.aws.amazon.com/lambda/latest/dg/welcome.html",
            "prompt": "Pick one.",
            "options": [
                {"text": "Right", "correct": True, "feedback": "Right because of reasons."},
                {"text": "Wrong", "correct": False, "feedback": "Wrong because of reasons."},
            ],
        },
        {
            "id": "q-tf",
            "type": "truefalse",
            "domain": "Design Cost-Optimized Architectures",
            "topic": "Paying per use",
            "source": "https://aws.amazon.com/lambda/pricing/",
            "prompt": "True?",
            "answer": True,
            "if_true": "Yes, it is true because.",
            "if_false": "No, it is true because.",
        },
    ],
}


def write(tmp_path: Path, data: object, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def broken(tmp_path: Path, change) -> str:  # type: ignore[no-untyped-def]
    """Apply ``change`` to a copy of GOOD, load it, and return the error message."""
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(BankError) as info:
        load_bank(path)
    message = str(info.value)
    assert "demo.yml" in message, message
    return message


def test_every_bank_in_the_repo_is_valid() -> None:
    banks = load_all_banks()
    assert banks, f"no banks in {banks_dir()}"
    for bank in banks:
        assert bank.name == bank.path.stem
        for q in bank.questions:
            assert q["source"].startswith("https://")


def test_what_serverless_bank_covers_the_chapter() -> None:
    bank = load_bank("what-serverless")
    assert len(bank.questions) >= 8
    kinds = {q["type"] for q in bank.questions}
    assert kinds == {"single", "multiple", "truefalse", "numeric", "classify"}
    text = yaml.safe_dump(bank.questions)
    for service in ("Lambda", "S3", "DynamoDB", "API Gateway", "SQS", "SNS", "EventBridge"):
        assert service in text or service == "S3", service
    for service in ("Step Functions", "Fargate", "Aurora Serverless v2", "RDS", "EC2"):
        assert service in text, service
    assert "2025-03-31" in text, "Aurora Serverless v1's end of life is stated"


def test_a_good_bank_loads(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path, GOOD))
    assert [q["id"] for q in bank.questions] == ["q-single", "q-tf"]
    assert [q["id"] for q in bank.select(tag="scaling")] == ["q-single"]
    assert [q["id"] for q in bank.select(ids=["q-tf"])] == ["q-tf"]


def test_missing_correct_answer(tmp_path: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["questions"][0]["options"][0]["correct"] = False

    message = broken(tmp_path, change)
    assert "question 'q-single'" in message
    assert "field 'options'" in message
    assert "no option is marked `correct: true`" in message


def test_truefalse_without_answer(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["questions"][1].pop("answer"))
    assert "question 'q-tf': field 'answer': missing." in message


def test_duplicate_id(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["questions"][1].update(id="q-single"))
    assert "question 'q-single': field 'id': duplicate id 'q-single'" in message


def test_unknown_type(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["questions"][0].update(type="dropdown"))
    assert "question 'q-single': field 'type': unknown type 'dropdown'" in message
    assert "single, multiple, truefalse, numeric, classify" in message


def test_option_without_feedback(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["questions"][0]["options"][1].pop("feedback"))
    assert "question 'q-single': field 'options[1].feedback': missing." in message
    assert "Every option needs feedback" in message


def test_feedback_too_short_to_explain(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["questions"][0]["options"][1].update(feedback="No."))
    assert "field 'options[1].feedback': feedback must explain why" in message


@pytest.mark.parametrize("field", ["domain", "topic", "source"])
def test_missing_domain_topic_or_source(tmp_path: Path, field: str) -> None:
    message = broken(tmp_path, lambda d: d["questions"][0].pop(field))
    assert f"question 'q-single': field '{field}': missing." in message


def test_unknown_domain_and_non_aws_source(tmp_path: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["questions"][0]["domain"] = "Design Fast Architectures"
        d["questions"][1]["source"] = "https://example.com/lambda"

    message = broken(tmp_path, change)
    assert "question 'q-single': field 'domain': 'Design Fast Architectures' is not one of" in message
    assert "question 'q-tf': field 'source': must be an https:// URL of an AWS page" in message
    assert "2 problem(s)" in message, "every problem is reported at once"


def test_multiple_choose_count_must_match(tmp_path: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        q = d["questions"][0]
        q["type"] = "multiple"
        q["choose"] = 2
        q["options"].append({"text": "Third", "correct": False, "feedback": "Wrong because of reasons."})

    message = broken(tmp_path, change)
    assert "field 'choose': says choose 2 but 1 option(s) are marked `correct: true`" in message


def test_classify_item_in_unknown_category(tmp_path: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["questions"][0] = {
            **{k: d["questions"][0][k] for k in ("id", "domain", "topic", "source", "prompt")},
            "type": "classify",
            "categories": ["Serverless", "Servers"],
            "items": [
                {"text": "Lambda", "category": "Serverless", "feedback": "No servers to manage."},
                {"text": "EC2", "category": "Server", "feedback": "You manage the instances."},
            ],
        }

    message = broken(tmp_path, change)
    assert "field 'items[1].category': 'Server' is not one of the categories" in message


def test_unknown_field_and_bank_name(tmp_path: Path) -> None:
    def change(d):  # type: ignore[no-untyped-def]
        d["questions"][0]["hint"] = "typo'd field"

    message = broken(tmp_path, change)
    assert "question 'q-single'" in message and "'hint'" in message

    message = broken(tmp_path, lambda d: d.update(bank="other"))
    assert "field 'bank': is 'other' but the file is demo.yml" in message


def test_messages_carry_the_line(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["questions"][1].update(type="essay"))
    path = tmp_path / "demo.yml"
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "type: essay" in text)
    assert f"demo.yml:{line}: question 'q-tf': field 'type'" in message


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("bank: demo\nquestions: [\n", encoding="utf-8")
    with pytest.raises(BankError, match=r"demo\.yml: not valid YAML"):
        load_bank(path)


def test_missing_bank_and_bad_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSELAB_QUIZ_DIR", str(tmp_path))
    write(tmp_path, GOOD)
    with pytest.raises(BankError, match=r"nope\.yml: no such question bank.*use one of: demo"):
        show("nope")
    with pytest.raises(BankError, match=r"no question with id 'q-x'; the ids are: q-single, q-tf"):
        show("demo", ids=["q-x"])
    with pytest.raises(BankError, match=r"no question has tag 'cost'; the tags are: scaling"):
        show("demo", tag="cost")


def test_ids_must_be_unique_across_banks(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, {**GOOD, "bank": "second"}, name="second")
    with pytest.raises(BankError, match=r"question 'q-single': field 'id': also used in"):
        load_all_banks(tmp_path)


def test_a_broken_bank_fails_the_book_build(tmp_path: Path) -> None:
    """The notebook cell that shows the quiz raises, so a -W build stops with the message."""
    banks = tmp_path / "banks"
    banks.mkdir()
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["questions"][0]["options"][1].pop("feedback")
    write(banks, data)
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(REPO / "_config.yml", book / "_config.yml")
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: quiz\n")
    (book / "index.md").write_text("# Index\n")
    (book / "quiz.md").write_text(
        textwrap.dedent(
            """\
            ---
            jupytext:
              text_representation:
                extension: .md
                format_name: myst
            kernelspec:
              display_name: Python 3
              language: python
              name: python3
            ---

            # Quiz

            ```{code-cell} ipython3
            from courselab.book import quiz

            quiz.show("demo")
            ```
            """
        )
    )
    env = {
        **os.environ,
        "COURSELAB_QUIZ_DIR": str(banks),
        "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    jb = Path(sys.executable).with_name("jupyter-book")
    run = subprocess.run(
        [str(jb), "build", "--all", "-W", "-n", "--keep-going", str(book)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "quiz.md: WARNING: Executing notebook failed" in out, out
    # The traceback goes to the execution report (in the build log too with show_tb).
    report = (book / "_build" / "html" / "reports" / "quiz.err.log").read_text()
    assert "BankError" in report, report
    assert "demo.yml" in report, report
    assert "question 'q-single': field 'options[1].feedback': missing." in report, report
