"""Reviews of risks: a row for every review, the cadence rule (due, overdue), reminders."""
