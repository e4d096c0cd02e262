"""The kinds of failure a user can meet.

`UserInputError` is bad input the user can fix (a file, a column, a value): the CLI prints its
one sentence and exits 2 with no traceback. `environment_error` recognises a fault of the machine
or of a path the user gave (a full disk, a read-only folder, a file where a folder belongs) in
any other exception and says it in one sentence, also exit 2. Anything else is an internal
error and exits 1.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path


class UserInputError(ValueError):
    """Bad input, explained in one sentence that names the file, column or value."""


class ServiceUnavailable(ConnectionError):
    """A service the run was told to use (a Ray cluster) cannot be reached: a fault of the
    machine or the network, not of nnaudit; its message is the sentence to show."""


# errno -> the sentence, with {path} the file or folder concerned.
ENVIRONMENT_ERRORS = {
    errno.ENOSPC: "No space left on the device that holds {path}; free some space and run again.",
    errno.EDQUOT: "The disk quota is exhausted on the device that holds {path}; free some "
                  "space and run again.",
    errno.EROFS: "{path} is on a read-only file system; write somewhere else (--out).",
    errno.EACCES: "Permission denied for {path}; choose a file or folder you may use.",
    errno.EPERM: "The operation is not permitted on {path}; choose a file or folder you may use.",
    errno.ENOTDIR: "{path} cannot be used: a part of that path is a file, not a folder.",
    errno.EEXIST: "{path} already exists and is not a folder; choose another path.",
    errno.EISDIR: "{path} is a folder where a file was expected.",
    errno.ENAMETOOLONG: "The path {path} is too long for the file system.",
    errno.ENOENT: "{path} does not exist.",
}
# Faults of a place rather than of one file: without a file name, they name "the output".
FOLDER_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def one_line(exc: BaseException) -> str:
    """A library's message on one line, to quote inside a sentence (pandas' and pyarrow's
    messages end with newlines or span several)."""
    return " ".join(str(exc).split())


def environment_error(exc: BaseException) -> str | None:
    """One sentence for a fault of the machine or of the user's path, or None for a bug.

    Looks through ``exc`` and the exceptions it was raised from for an `OSError` whose errno is
    one of `ENVIRONMENT_ERRORS`. A missing file counts only when it is not one of nnaudit's
    or its libraries' own files (those are bugs or a broken installation, not the user's input).
    """
    for error in _chain(exc):
        if isinstance(error, ServiceUnavailable):
            return str(error)
        if not isinstance(error, OSError) or error.errno not in ENVIRONMENT_ERRORS:
            continue
        path = error.filename
        if error.errno == errno.ENOENT and (path is None or _installed_file(path)):
            continue
        if path is None:
            where = "the output" if error.errno in FOLDER_ERRORS else "a file"
        else:
            path = Path(os.fsdecode(path))
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path = path.parent  # the store's temporary file: the user knows its folder
            where = repr(str(path))
        sentence = ENVIRONMENT_ERRORS[error.errno].format(path=where)
        return sentence[0].upper() + sentence[1:]
    return None


def _chain(exc: BaseException):
    """``exc``, then what it was raised from or during, without looping."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _installed_file(path) -> bool:
    """Whether ``path`` is inside nnaudit's package or the Python installation."""
    real = Path(os.fsdecode(path)).resolve()
    homes = {Path(__file__).resolve().parent, Path(sys.prefix).resolve(),
             Path(sys.base_prefix).resolve()}
    return any(real.is_relative_to(home) for home in homes if home != Path(home.anchor))
