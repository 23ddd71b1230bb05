"""Where free text enters: every string a form or a JSON body brings is held to the one
rule in `booking.domain.text` before any handler reads it, so no page or API route can
save (or echo) a control character, and none needs its own copy of the check."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType

from booking.domain.text import check_text

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Webhooks carry another system's payload, verified by signature; they are not people's text.
NOT_FREE_TEXT = ("/webhooks/",)


async def refuse_control_characters(request: Request) -> None:
    """A before_request hook: a refusal here means the handler never ran and nothing was written."""
    if request.method in SAFE_METHODS or request.url.path.startswith(NOT_FREE_TEXT):
        return
    content_type, _ = request.content_type
    if content_type in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        form = await request.form()  # parsed once; the handler reads the same parsed form
        for key, value in form.multi_items():
            if isinstance(value, str):  # uploaded files are content, checked by whoever reads them
                check_text(value, key)
    elif content_type == "application/json" or content_type.endswith("+json"):
        body = await request.body()
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return  # not JSON: the handler's own parsing refuses it with its usual answer
        _check_json(data, "")


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, str):
        check_text(value, where or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            check_text(str(key), path)
            _check_json(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
