"""Files that hold names, addresses or ID numbers: private to the service's own user, and
written whole (beside their place, then renamed), so a reader never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_private(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` fills a new file that then takes ``path``'s place. The temporary name is
    unique, so two writers of the same path never write into one file; the last rename wins."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:  # mkstemp makes it readable by its owner only
            write(out)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
