"""The one rule for free text: what `check_text` refuses, `clean` removes, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.domain.errors import DomainError
from booking.domain.text import CONTROL_CHARACTERS, check_text, clean

REFUSED = "".join(map(chr, range(0x20))).replace("\t", "").replace("\n", "").replace("\r", "")


def test_clean_removes_exactly_what_check_text_refuses():
    assert clean("Ctrl\x07bell\x1b[31m\x00") == "Ctrlbell[31m"
    assert clean("Linje 1\r\nLinje 2\tfane æøå\x7f") == "Linje 1\r\nLinje 2\tfane æøå\x7f"
    for character in REFUSED:
        with pytest.raises(DomainError) as refused:
            check_text(f"a{character}b", "navn")
        assert refused.value.code == "invalid_text" and refused.value.details == {"field": "navn"}
        assert clean(f"a{character}b") == "ab"


@given(st.text())
def test_cleaned_text_is_always_accepted_and_clean_text_is_unchanged(text):
    cleaned = clean(text)
    assert check_text(cleaned, "tekst") == cleaned and clean(cleaned) == cleaned
    if not CONTROL_CHARACTERS.search(text):
        assert cleaned == text
