"""Exercises for class: check cells with feedback, hand-outs without solutions, and a grader.

In a check cell::

    from courselab.exercises import Checker, fail

See :mod:`courselab.exercises.checks` for the check API, :mod:`courselab.exercises.student` for
``python -m courselab student`` and :mod:`courselab.exercises.grader` for ``python -m courselab grade``.
"""

from courselab.exercises.checks import Checker, CheckFailed, digest, fail

__all__ = ["CheckFailed", "Checker", "digest", "fail"]
