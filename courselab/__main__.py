"""``python -m courselab``: run the lab from a terminal.

``serve`` runs the same lab a notebook starts, in the foreground, so the AWS CLI, scripts and IDEs
can use it through ``AWS_ENDPOINT_URL``; ``push-image`` is the lab's ``docker build`` and
``docker push`` for an image built for the course (:mod:`courselab.images`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A wrong argument gets one line, not a usage dump."""
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m courselab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the local AWS lab in the foreground until Ctrl-C")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free port)")
    serve.add_argument("--region", default=None, help="default region (default: us-east-1)")
    student = commands.add_parser("student", help="write every exercise as an .ipynb without solutions")
    student.add_argument("outdir", type=Path, help="folder for the hand-out notebooks")
    student.add_argument("--book", action="store_true", help="also build the book without solutions into OUTDIR/book")
    grade = commands.add_parser("grade", help="grade a folder of submitted notebooks into a CSV file")
    grade.add_argument("submissions", type=Path, help="folder of .ipynb or MyST .md submissions")
    grade.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV file to write (default: grades.csv)")
    grade.add_argument("--timeout", type=float, default=120.0, help="seconds allowed per submission (default: 120)")
    grade.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default: 1)")
    grade.add_argument(
        "--memory", type=int, default=4096, help="MB of data memory per process of a run (default: 4096)"
    )
    grade.add_argument("--processes", type=int, default=512, help="processes and threads a run may have (default: 512)")
    grade.add_argument(
        "--max-output", type=float, default=4.0, help="MB a run may print before it is stopped (default: 4)"
    )
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run submissions without the sandbox, as your user, with network (only for work you trust)",
    )
    cleanup = commands.add_parser("cleanup", help="list everything tagged by the course; --yes deletes it")
    cleanup.add_argument("--yes", action="store_true", help="delete what is listed (default: a dry run)")
    push = commands.add_parser(
        "push-image", help="build an image for the course from a folder and push it to the lab's ECR"
    )
    push.add_argument("folder", type=Path, help="the app's files (all of them go to WORKDIR in the image)")
    push.add_argument("image", help="REPOSITORY:TAG in the lab's ECR (the repository is created if missing)")
    push.add_argument(
        "--cmd", nargs=argparse.REMAINDER, required=True, help="the image's CMD, last on the line: --cmd python app.py"
    )
    push.add_argument("--workdir", default="/app", help="the image's WORKDIR (default: /app)")
    push.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="an ENV of the image")
    return parser


def serve(port: int, region: str | None) -> int:
    import os

    from courselab.lab import server as lab

    if not 0 <= port <= 65535:
        print(f"python -m courselab serve: --port must be 0-65535, not {port}", file=sys.stderr)
        return 2
    os.environ.pop("AWS_ENDPOINT_URL", None)  # serve always starts its own lab
    os.environ["COURSELAB_TARGET"] = "local"
    import logging

    # What a learner with only a shell needs to see: where each ALB and NLB listener answers, as it opens.
    announce = logging.StreamHandler(sys.stdout)
    announce.setFormatter(logging.Formatter("courselab: %(message)s"))
    fleets = ("elbv2.listeners", "elbv2.network_listeners", "elb.listeners")  # the ALB's, the NLB's, the CLB's
    for name in (f"courselab.lab.{fleet}" for fleet in fleets):
        listeners = logging.getLogger(name)
        listeners.addHandler(announce)
        listeners.setLevel(logging.INFO)
    running = lab.start(port=port, region=region, quiet=True)
    print(f"courselab: local AWS lab serving on {running.endpoint} (region {running.region}).")
    print("Use it from another terminal with:\n")
    print(f"  export AWS_ENDPOINT_URL={running.endpoint}")
    print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing")
    print(f"  export AWS_DEFAULT_REGION={running.region} AWS_DISABLE_HOST_PREFIX_INJECTION=true\n")
    print("A load balancer listener's URL, from a shell (on AWS: http://DNSName:port, an NLB's DNSName:port):\n")
    print('  curl "$AWS_ENDPOINT_URL/_courselab/call/listener_url?arg=DNS_NAME_OR_ARN&arg=80"\n')
    print("(an ALB's is http://127.0.0.1:PORT for curl, an NLB's TCP listener tcp://127.0.0.1:PORT for nc)\n")
    print("Press Ctrl-C to stop.", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    while not stopped.wait(0.5):
        pass
    lab.stop()
    print("\ncourselab: lab stopped.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args.port, args.region)
    if args.command == "student":
        return student(args.outdir, args.book)
    if args.command == "grade":
        return grade(args)
    if args.command == "cleanup":
        return cleanup(args.yes)
    if args.command == "push-image":
        return push_image(args.folder, args.image, args.cmd, args.workdir, args.env)
    return 2


def push_image(folder: Path, image: str, cmd: list[str], workdir: str, env: list[str]) -> int:
    """What ``docker build`` and ``docker push`` do, for an image built for the course, to the lab's ECR only."""
    import os

    prog = "python -m courselab push-image"
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint.startswith(("http://127.0.0.1:", "http://localhost:")):
        print(f"{prog}: AWS_ENDPOINT_URL must point at the lab (run 'python -m courselab serve'); "
              "an image built for the course runs only in the lab", file=sys.stderr)  # fmt: skip
        return 2
    repository, _, tag = image.partition(":")
    if not folder.is_dir() or not repository or not tag or not cmd or any("=" not in e for e in env):
        print(f"{prog}: give an existing FOLDER, IMAGE as REPOSITORY:TAG, --cmd and --env NAME=VALUE", file=sys.stderr)
        return 2
    from courselab import images

    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    built = images.build(files, cmd=cmd, workdir=workdir, env=dict(e.split("=", 1) for e in env))
    uri = images.push(built, repository, tag)
    print(f"{uri} ({built.digest}, {len(files)} files)")
    return 0


def cleanup(yes: bool) -> int:
    """On real AWS (COURSELAB_TARGET=aws) or the running lab: list, then delete with --yes, the course's resources."""
    import boto3

    from courselab.lab import server as lab
    from courselab.realaws import cleanup as course_cleanup
    from courselab.realaws.tags import TAG_KEY, TAG_VALUE

    prog = "python -m courselab cleanup"
    try:
        running = lab.start(quiet=True)
        session = boto3.Session()
        where = (
            f"REAL AWS account {running.account}, region {running.region}"
            if running.mode == "aws"
            else f"the local lab at {running.endpoint}"
        )
        found = course_cleanup.find(session)
    except Exception as error:  # noqa: BLE001 - any failure to reach AWS is one line, not a traceback
        print(f"{prog}: {course_cleanup.one_line(error)}", file=sys.stderr)
        return 1
    print(f"courselab cleanup: {where}: {len(found)} resources tagged {TAG_KEY}={TAG_VALUE}")
    for resource in found:
        print(f"  {resource.service:<12} {resource.kind:<22} {resource.arn}")
    if not found:
        return 0
    if not yes:
        print(f"Dry run: nothing was deleted. To delete them: {prog} --yes")
        return 0
    failed = 0
    for resource in found:
        try:
            course_cleanup.delete(session, resource)
        except Exception as error:  # noqa: BLE001 - report each failure in one line and go on
            failed += 1
            print(f"{prog}: could not delete {resource.arn}: {course_cleanup.one_line(error)}", file=sys.stderr)
        else:
            print(f"deleted {resource.arn}")
    return 1 if failed else 0


def student(outdir: Path, book: bool) -> int:
    from courselab.book.exercises import notebooks, student

    try:
        written = student.write_student_versions(outdir)
    except (OSError, notebooks.ExerciseError) as error:
        print(f"python -m courselab student: {error}", file=sys.stderr)
        return 1
    print(f"courselab: wrote {len(written)} exercise notebooks without solutions to {outdir}")
    if book:
        import subprocess

        try:
            index = student.build_student_book(outdir.resolve())
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"python -m courselab student: the book did not build ({error})", file=sys.stderr)
            return 1
        print(f"courselab: the book without solutions is at {index}")
    return 0


def grade(args: argparse.Namespace) -> int:
    from courselab.book.exercises import grader, notebooks, sandbox

    prog = "python -m courselab grade"
    if not args.submissions.is_dir():
        print(f"{prog}: {args.submissions} is not a folder", file=sys.stderr)
        return 2
    if args.timeout <= 0 or args.jobs < 1 or args.memory < 256 or args.max_output <= 0 or args.processes < 16:
        print(
            f"{prog}: --timeout and --max-output must be > 0, --jobs >= 1, --memory >= 256, --processes >= 16",
            file=sys.stderr,
        )
        return 2
    limits = sandbox.Limits(
        cpu_s=int(args.timeout) + 10,
        memory_mb=args.memory,
        processes=args.processes,
        output_bytes=int(args.max_output * 1_000_000),
    )
    if args.no_sandbox:
        print(f"{prog}: --no-sandbox: submissions run as your user, with network and your files", file=sys.stderr)
    try:
        rows = grader.grade(
            args.submissions, timeout=args.timeout, jobs=args.jobs, sandboxed=not args.no_sandbox, limits=limits
        )
    except grader.SandboxUnavailable as why:
        print(
            f"{prog}: not grading: the sandbox cannot run here: {why}. Without it a submission could read the "
            "other submissions, overwrite the CSV, use the network and exhaust the machine. Fix that, or pass "
            "--no-sandbox to grade work you trust.",
            file=sys.stderr,
        )
        return 1
    except notebooks.ExerciseError as error:
        print(f"{prog}: the course's exercises: {error}", file=sys.stderr)
        return 1
    grader.write_csv(rows, args.out)
    print(f"courselab: graded {len(rows)} files into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
