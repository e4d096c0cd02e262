"""Atomic files: a temporary file in the same folder, then `os.replace` onto the real name.

A crash never leaves a half file under a real name. The run directory (`nnaudit.store`), the
trainer's checkpoints and the data caches all write through here; this module imports only the
standard library (torch on use), so any layer may use it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Callable

__all__ = ["atomic_write", "atomic_write_text", "atomic_torch_save"]


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # Mode 0o666 under the umask, as for any file the user makes (mkstemp would force 0o600).
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def atomic_torch_save(path: Path, obj: Any) -> Path:
    """`torch.save` through `atomic_write`, into a Python file object: on a full disk torch's
    own file writer raises a RuntimeError without errno, the file object an OSError (ENOSPC)."""
    import torch

    def save(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            torch.save(obj, fh)

    return atomic_write(path, save)
