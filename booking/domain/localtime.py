"""Local time is common.localtime. These names stay here only for the modules of the
booking write path being rewritten (services/series.py, web/booking_pages.py,
web/bookings_api.py); everything else imports common.localtime."""
from common.localtime import OSLO, local_day_start, parse_instant, resolve_local

__all__ = ["OSLO", "local_day_start", "parse_instant", "resolve_local"]
