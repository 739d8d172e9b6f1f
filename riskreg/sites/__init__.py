"""Sites: operations and concessions, their ASM situation and monitoring."""
