"""Quizzes from YAML question banks: a widget in a live kernel, self-contained HTML on the site.

from courselab.book import quiz
quiz.show("what-serverless")                 # the bank chapters/quizzes/what-serverless.yml
quiz.show("what-serverless", tag="scaling")  # or ids=["ws-scale-out", ...]
quiz.results()                               # what you answered in this kernel
"""

from courselab.book.quiz.bank import Bank, BankError, load_all_banks, load_bank
from courselab.book.quiz.display import PracticeExam, Quiz, practice_exam, results, show
from courselab.book.quiz.scoring import IncompleteAnswer, Verdict, check

__all__ = [
    "Bank",
    "BankError",
    "IncompleteAnswer",
    "PracticeExam",
    "Quiz",
    "Verdict",
    "check",
    "load_all_banks",
    "load_bank",
    "practice_exam",
    "results",
    "show",
]
