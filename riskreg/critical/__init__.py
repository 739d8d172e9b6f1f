"""Critical control management: performance standards, verification schedules and tasks, verifications."""
