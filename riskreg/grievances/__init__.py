"""The grievance mechanism (UNGP 31): grievances, their dated steps, the confidential complainant."""
