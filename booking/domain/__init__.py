"""The pure core: local time, availability, conflicts, recurrence and the booking
state machine. Imports neither the web framework nor the database (a test keeps it so)."""
