"""The practice exam's full mock: the real exam's length, time, domain weights and score scale.

The shape comes from ``chapters/exam/mock-exam.yml`` (read from AWS's exam guide, which it cites):
65 questions, 130 minutes, scores from 100 to 1,000 with 720 to pass, and the four domains'
weights. :func:`domain_counts` turns the weights into how many questions each domain gets (largest
remainder, so they add up to the length); the page draws that many from each domain with its
seeded shuffle. :func:`scaled_score` is the course's own linear approximation of the scale: AWS
equates raw scores across exam forms and does not publish how.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from courselab import paths
from courselab.book.quiz.bank import BankError


@dataclass(frozen=True)
class MockExam:
    exam: str
    questions: int
    minutes: int
    score_min: int
    score_max: int
    score_pass: int
    weights: dict[str, int]
    sources: dict[str, str]

    def domain_counts(self) -> dict[str, int]:
        """Questions per domain: the weights applied to the length, rounded by largest remainder."""
        total = sum(self.weights.values())
        exact = {d: self.questions * w / total for d, w in self.weights.items()}
        counts = {d: math.floor(x) for d, x in exact.items()}
        by_remainder = sorted(exact, key=lambda d: exact[d] - counts[d], reverse=True)
        for domain in by_remainder[: self.questions - sum(counts.values())]:
            counts[domain] += 1
        return counts

    def scaled_score(self, right: int, total: int) -> int:
        """The course's approximation of a scaled score: linear from ``score_min`` (none right) to ``score_max``."""
        fraction = right / total if total else 0.0
        return round(self.score_min + (self.score_max - self.score_min) * fraction)

    def as_data(self) -> dict[str, Any]:
        """What the page's script needs."""
        return {
            "exam": self.exam,
            "questions": self.questions,
            "minutes": self.minutes,
            "score": {"min": self.score_min, "max": self.score_max, "pass": self.score_pass},
            "counts": self.domain_counts(),
            "sources": self.sources,
        }


def load(path: Path | None = None, domains: tuple[str, ...] = ()) -> MockExam:
    """Read and check the mock's shape; ``domains`` are the ones the banks may use."""
    path = path or paths.MOCK_EXAM
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        score, weights = data["score"], data["domains"]
        mock = MockExam(
            exam=str(data["exam"]),
            questions=int(data["questions"]),
            minutes=int(data["minutes"]),
            score_min=int(score["min"]),
            score_max=int(score["max"]),
            score_pass=int(score["pass"]),
            weights={str(k): int(v) for k, v in weights.items()},
            sources={str(k): str(v) for k, v in data["sources"].items()},
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise BankError(
            f"{path}: cannot read the mock exam's shape: {exc!r} (see its comments for the fields)"
        ) from exc
    if sum(mock.weights.values()) != 100:
        raise BankError(f"{path}: field 'domains': the weights add up to {sum(mock.weights.values())}, not 100")
    unknown = sorted(set(mock.weights) - set(domains)) if domains else []
    if unknown:
        raise BankError(
            f"{path}: field 'domains': {', '.join(unknown)} is not a domain of the banks: {', '.join(domains)}"
        )
    if not mock.score_min < mock.score_pass <= mock.score_max:
        raise BankError(f"{path}: field 'score': pass must lie between min and max")
    return mock
