"""PURE. What booking, pricing, calendars and allocation share: local time in Europe/Oslo
with Norwegian public holidays (`localtime`), and the one coded-error base class every
refusal uses (`errors`). Imports nothing from those packages, nor a web or database layer."""
