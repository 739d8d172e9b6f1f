"""Key risk indicators computed from monitoring, their triggers, review flags and gaps."""
