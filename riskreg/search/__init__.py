"""Search: one box across the register, controls, sites, standards and monitoring."""
