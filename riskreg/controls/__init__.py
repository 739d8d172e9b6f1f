"""Controls: mitigations assigned to departments, tracked to closure with evidence and verified."""
