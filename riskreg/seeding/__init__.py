"""Loading reference and demo data from seeds/*.toml; every loader is an idempotent upsert."""
