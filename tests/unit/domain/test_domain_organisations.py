import pytest

from booking.domain.errors import DomainError
from booking.domain.organisations import valid_orgnr


def test_valid_numbers_are_compacted():
    assert valid_orgnr("974 760 673") == "974760673"


@pytest.mark.parametrize("text", ["974760674", "12345678", "abcdefghi"])
def test_invalid_numbers_get_one_code(text):
    with pytest.raises(DomainError) as refused:
        valid_orgnr(text)
    assert refused.value.code == "invalid_orgnr" and "organisasjonsnummer" in refused.value.message_nb


@pytest.mark.parametrize("text", ["", "   "])
def test_a_missing_number_is_asked_for_not_called_invalid(text):
    """Regression: an empty field said «» er ikke et gyldig organisasjonsnummer."""
    with pytest.raises(DomainError) as refused:
        valid_orgnr(text)
    assert refused.value.code == "orgnr_missing"
    assert refused.value.message_nb == "Fyll inn organisasjonsnummeret (9 siffer)."
    assert refused.value.message_en == "Fill in the organisation number (9 digits)."
