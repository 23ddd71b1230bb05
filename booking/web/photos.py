"""Picture files, served from the media store. A key is the SHA-256 of the file's bytes,
so what is under a key never changes: browsers and proxies may keep it for a year, and
the key is its ETag."""

from __future__ import annotations

import asyncio

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException

from booking.media.store import MediaStore, valid_key

CACHE_FOR_EVER = "public, max-age=31536000, immutable"


class PhotoFiles(Controller):
    @get("/bilder/{key:str}", name="photo_file")
    async def file(self, key: str, request: Request, media: MediaStore) -> Response:
        data = await asyncio.to_thread(media.get, key) if valid_key(key) else None
        if data is None:
            raise NotFoundException()
        etag = f'"{key.partition(".")[0]}"'
        headers = {"Cache-Control": CACHE_FOR_EVER, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(data, media_type="image/webp", headers=headers)
