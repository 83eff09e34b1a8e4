"""Exercises for class: check cells with feedback, hand-outs without solutions, and a grader.

In a check cell::

    from courselab.book.exercises import Checker, fail

See :mod:`courselab.book.exercises.checks` for the check API, :mod:`courselab.book.exercises.student` for
``python -m courselab student`` and :mod:`courselab.book.exercises.grader` for ``python -m courselab grade``.
"""

from courselab.book.exercises.checks import Checker, CheckFailed, digest, fail

__all__ = ["CheckFailed", "Checker", "digest", "fail"]
