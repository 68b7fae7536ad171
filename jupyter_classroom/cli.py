"""``jupyter classroom``: the classroom's command line.

``jupyter classroom demo [--participants N] [JupyterLab options...]`` starts
JupyterLab with demo classmates in the classroom (the ``demo_participants``
setting): someone alone finds a classroom that moves, talks and answers.
Options it does not know are JupyterLab's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .demo import MAX_DEMO_PARTICIPANTS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupyter classroom", description=__doc__.split("\n\n")[0])
    commands = p.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="JupyterLab with demo classmates in the classroom",
        description=(
            "Start JupyterLab with simulated classmates in the classroom. They walk, chat, "
            "answer a greeting and speak with a moving picture, and leave when a real class "
            "starts. Other options are passed to JupyterLab."
        ),
    )
    demo.add_argument(
        "--participants",
        type=int,
        default=3,
        metavar="N",
        help=f"how many demo classmates (at most {MAX_DEMO_PARTICIPANTS}; default 3)",
    )
    demo.add_argument(
        "--leave-at",
        type=int,
        default=None,
        metavar="PEOPLE",
        help="they leave once this many people are in the classroom (default: the setting's, 3)",
    )
    return p


def command(argv: Sequence[str]) -> list[str]:
    """The command that ``jupyter classroom ARGV`` runs."""
    args, rest = parser().parse_known_args(argv)
    assert args.command == "demo"
    out = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ClassroomApp.demo_participants={args.participants}",
    ]
    if args.leave_at is not None:
        out.append(f"--ClassroomApp.demo_leave_at={args.leave_at}")
    return out + list(rest)


def main(argv: Sequence[str] | None = None) -> None:
    cmd = command(sys.argv[1:] if argv is None else argv)
    # JupyterLab in this process's place: Ctrl-C and signals reach it directly.
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
