"""Where picture files live: a store that puts, gets and deletes bytes by key. Keys are
content-addressed (the SHA-256 of the bytes and the file type), so a file never changes
under its key and may be cached for ever. `FileStore` keeps them in a folder
(BOOKING_MEDIA_DIR); another store (object storage, say) is one more class with the
same three methods."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

KEY = re.compile(r"[0-9a-f]{64}\.webp")


def key_for(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() + ".webp"


def valid_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


@runtime_checkable
class MediaStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class FileStore:
    """Files in one folder, two levels deep by the key's first characters."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not valid_key(key):
            raise ValueError(f"not a media key: {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():  # the same bytes are there already
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as part:
            part.write(data)
        os.replace(part.name, path)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def media_store(media_dir: Path) -> MediaStore:
    """The store the settings name (BOOKING_MEDIA_DIR)."""
    return FileStore(media_dir)
