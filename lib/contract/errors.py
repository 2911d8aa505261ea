"""Exit statuses and one-line errors, shared by the jobs and the (Spark-free) DAG.

A job fails with exactly one readable line on stderr (``<job>: error: ...``),
whatever the cause; the DAG reads the exit status to tell a verdict from a crash.
"""

from __future__ import annotations

import re

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHECKS_FAILED = 3  # the data failed a critical check: a verdict, not a crash; retrying will not help


class UsageError(Exception):
    """Bad command-line arguments."""


class JobError(Exception):
    """A failure with a message fit for the on-call engineer, e.g. a missing partition."""

    exit_status = EXIT_FAILED


def _java_messages(error: BaseException) -> list[str]:
    """First lines of a Py4J error's Java cause chain, outermost first."""
    messages, java = [], getattr(error, "java_exception", None)
    while java is not None:
        message = java.getMessage()
        if message:
            messages.append(str(message).strip().splitlines()[0])
        java = java.getCause()
    return messages


def one_line(error: BaseException) -> str:
    """The meaningful line of an error, a Spark one included, without the Java trace.

    For Spark: its own message (which names the file) with the root cause, e.g.
    ``Encountered error while reading file file:/x.json.gz (invalid stored block lengths)``.
    """
    java = _java_messages(error)
    if java:
        first = re.sub(r"^\[[A-Z_.]+\]\s*|\s*SQLSTATE: \w+$", "", java[0]).rstrip(" .")
        text = first if len(java) == 1 else f"{first} ({java[-1]})"
    else:
        text = str(error).strip() or type(error).__name__
        text = text.splitlines()[0].strip()
    return text if len(text) <= 500 else text[:497] + "..."
