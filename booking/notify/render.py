"""E-mail text from Jinja2 templates in templates/email/, one file per kind and
language (`confirmed.nb.txt`, `confirmed.en.txt`). A template sets `subject` and its
body is the mail's text; both languages get the same context."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from booking.settings import ROOT

TEMPLATES = ROOT / "templates" / "email"
LANGUAGES = ("nb", "en")


def language_of(value: str | None) -> str:
    """The person's language when we write it, else Norwegian."""
    code = (value or "nb").lower().split("-")[0].split("_")[0]
    return "en" if code == "en" else "nb"


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Plain text: nothing to escape, and a missing variable is a bug, not a blank.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(kind: str, language: str, context: dict) -> tuple[str, str]:
    """(subject, body) of the mail `kind` in `language`."""
    template = environment().get_template(f"{kind}.{language}.txt")
    module = template.make_module({**context, "language": language})
    body = str(module).strip() + "\n"
    return " ".join(str(module.subject).split()), body
