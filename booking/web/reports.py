"""Usage reports for staff: a period's hours, utilisation, shares and revenue, as
server-rendered SVG bar charts with their numbers in words and in a table, and as CSV."""

from __future__ import annotations

import copy
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from babel import Locale
from babel.numbers import format_decimal
from litestar import Controller, Request, Response, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db.models import Person
from booking.domain.errors import DomainError
from booking.formatting import kroner
from booking.services.reports import Period, report_csv_rows, usage_report
from booking.services.rulebook import current_rules
from booking.web.i18n import BABEL_LOCALE, N_, language_of, message_of, tr
from booking.web.staff import STAFF, page
from common.localtime import to_local

# Names the reports service gives the shares; the template translates them.
SHARE_NAMES = (N_("Barn og unge"), N_("Frivillige organisasjoner"), N_("Egenorganisert aktivitet"))

BAR_SPACE = Decimal(70)  # percent of the chart's width the longest bar takes; the rest is for its number


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    text: str  # the number as it is read out and printed next to the bar
    width: Decimal  # percent of the chart width


def bars(items: list[tuple[str, Decimal | None, str]]) -> list[Bar]:
    largest = max((value for _, value, _ in items if value), default=Decimal(0))
    return [
        Bar(
            label,
            value or Decimal(0),
            text,
            (Decimal(value or 0) * BAR_SPACE / largest).quantize(Decimal("0.1")) if largest else Decimal(0),
        )
        for label, value, text in items
    ]


HOURS_UNIT = {"nb": "t", "en": "h"}


def hours_text(language: str, value: Decimal) -> str:
    """'25 515,0 t' / '25,515.0 h': one decimal, the locale's separators."""
    number = format_decimal(value, format="#,##0.0", locale=BABEL_LOCALE[language])
    return f"{number}\u00a0{HOURS_UNIT[language]}"


def percent_text(language: str, value: Decimal | None) -> str:
    """'50,0 %' / '50.0%': the locale's percent pattern with one decimal; '–' for none."""
    if value is None:
        return "–"
    pattern = copy.copy(Locale.parse(BABEL_LOCALE[language]).percent_formats[None])
    pattern.frac_prec = (1, 1)
    return pattern.apply(Decimal(value) / 100, BABEL_LOCALE[language])


def default_period(now: datetime) -> tuple[date, date]:
    today = to_local(now).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _period(
    fra: str | None, til: str | None, now: datetime, connection=None
) -> tuple[Period | None, str | None, tuple[str, str]]:
    first, last = default_period(now)
    try:
        first = date.fromisoformat(fra) if fra else first
        last = date.fromisoformat(til) if til else last
    except ValueError:
        return None, tr(connection, "Skriv datoene som ÅÅÅÅ-MM-DD."), (fra or "", til or "")
    try:
        return Period.of(first, last), None, (first.isoformat(), last.isoformat())
    except DomainError as error:
        return None, message_of(connection, error), (first.isoformat(), last.isoformat())


async def _report(db, period: Period, now: datetime):
    rules = await current_rules(db)
    names = {key: c.name_nb for key, c in rules.in_force(now).tariff.items()}
    return await usage_report(db, period, names)


class ReportPages(Controller):
    guards = [STAFF]

    @get("/saksbehandling/rapporter", name="staff_reports")
    async def report(
        self,
        request: Request,
        db: AsyncSession,
        person: Person,
        now: datetime,
        fra: str | None = None,
        til: str | None = None,
    ) -> Template:
        period, error, shown = _period(fra, til, now, request)
        if period is None:
            return page(
                "reports.html", person, "reports", 422, error=error, fra=shown[0], til=shown[1], report=None, charts=[]
            )
        report = await _report(db, period, now)
        language = language_of(request)
        _hours, _percent = partial(hours_text, language), partial(percent_text, language)
        charts = [
            (
                tr(request, "%(title)s: timer booket", title=tr(request, title)),
                "hours-" + key,
                bars([(row.label, row.booked_hours, _hours(row.booked_hours)) for row in rows]),
            )
            for key, title, rows in (
                ("district", N_("Kommunedel"), report.by_district),
                ("department", N_("Virksomhet"), report.by_department),
                ("category", N_("Takstkategori"), report.by_category),
            )
        ]
        charts.append(
            (
                tr(request, "Andel av timene"),
                "shares",
                bars([(tr(request, s.label), s.percent, _percent(s.percent)) for s in report.shares]),
            )
        )
        charts.append(
            (
                tr(request, "Inntekt per virksomhet"),
                "revenue",
                bars([(row.label, row.revenue, kroner(row.revenue, language)) for row in report.by_department]),
            )
        )
        return page(
            "reports.html",
            person,
            "reports",
            report=report,
            charts=charts,
            error=None,
            fra=shown[0],
            til=shown[1],
            hours=_hours,
            percent=_percent,
        )

    @get("/saksbehandling/rapporter.csv", name="staff_reports_csv")
    async def export(self, db: AsyncSession, now: datetime, fra: str | None = None, til: str | None = None) -> Response:
        period, error, _ = _period(fra, til, now)
        if period is None:
            raise DomainError("invalid_period", error or "Ugyldig periode.", "Invalid period.")
        report = await _report(db, period, now)
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(report_csv_rows(report))
        name = f"lokaler-rapport-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        # Litestar adds the charset (utf-8) to a text/* media type itself.
        return Response(
            out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
