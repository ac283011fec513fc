"""Runs python-quickbooks' integration tests against the QuickBooks sandbox.

    python -m sandbox.qbo.pqsuite [pytest arguments]

The tests are read from the reference directory (``./bin/fetch-reference`` puts them there),
unchanged; extra arguments go to pytest (e.g. ``-k invoice``, ``-x``). The last line is pytest's
summary. Without the reference files it says so and exits 0 (nothing to run), so CI can keep the
step where they are absent.
"""

from __future__ import annotations

import sys

import pytest

from . import suite_dir


def main(argv: list[str]) -> int:
    suite = suite_dir()
    if suite is None:
        print(
            "python-quickbooks' integration tests are not in the reference directory: skipped "
            "(run ./bin/fetch-reference to fetch them)"
        )
        return 0
    # The reference directory stays as fetched: no __pycache__ (pytest's assertion rewriting honours this).
    sys.dont_write_bytecode = True
    # The suite imports itself as ``tests.integration``: its own ``tests`` package must win over the
    # project's. pytest's default "prepend" import mode puts the suite's parent (the first directory up
    # without an __init__.py) first on sys.path before importing it, and nothing here imports the
    # project's ``tests``; no project test configuration applies (-c of an empty file, no pytest-django).
    args = [
        "-p",
        "sandbox.qbo.pqsuite.plugin",
        "-p",
        "no:django",
        "-p",
        "no:cacheprovider",
        "-c",
        "/dev/null",
        "--rootdir",
        str(suite.parents[1]),
        "-q",
        "-rfEx",
        *argv,
        str(suite),
    ]
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
