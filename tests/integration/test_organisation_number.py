"""Registering an organisation without its number: the form asks for it (its own code,
`orgnr_missing`) instead of calling an empty field an invalid number, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.db.models import Organisation
from tests.integration.booking_web_support import csrf, log_in


async def organisations(client) -> int:
    async with client.db.sessions() as s:
        return await s.scalar(select(func.count()).select_from(Organisation))


@pytest.mark.parametrize("orgnr", ["", "   "])
async def test_an_empty_organisation_number_is_asked_for(client, orgnr):
    await log_in(client, "kari@example.no")
    before = await organisations(client)
    answer = await client.post(
        "/mine-organisasjoner", data={"_csrf_token": csrf(client), "navn": "Nytt kor", "orgnr": orgnr}
    )
    assert answer.status_code == 422
    assert 'id="orgnr-feil"' in answer.text and "Fyll inn organisasjonsnummeret (9 siffer)." in answer.text
    assert "er ikke et gyldig organisasjonsnummer" not in answer.text and "«»" not in answer.text
    english = await client.post(
        "/mine-organisasjoner",
        data={"_csrf_token": csrf(client), "navn": "Nytt kor", "orgnr": orgnr},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 422 and "Fill in the organisation number (9 digits)." in english.text
    assert await organisations(client) == before
