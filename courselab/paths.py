"""Where things are: the package, the folder that holds it, and the course's own files.

Every module finds files through these names instead of counting ``parents[N]`` from its own
``__file__``, so a module can move without its paths breaking.
"""

from __future__ import annotations

from pathlib import Path

#: The ``courselab`` package itself.
PACKAGE_ROOT = Path(__file__).resolve().parent
#: The folder that holds the package: what a Lambda environment or a grader puts on ``PYTHONPATH``.
SOURCE_ROOT = PACKAGE_ROOT.parent
#: The course repository (the package is installed editable from it): chapters, exercises, banks.
REPO_ROOT = SOURCE_ROOT
CHAPTERS = REPO_ROOT / "chapters"
EXERCISES = REPO_ROOT / "exercises"
QUIZ_BANKS = CHAPTERS / "quizzes"
#: The shape of the real exam that the practice exam's full mock copies.
MOCK_EXAM = CHAPTERS / "exam" / "mock-exam.yml"
