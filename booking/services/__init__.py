"""Use cases. Each runs in one transaction and is the only place that combines the
domain, the database, pricing, calendars and payments."""
