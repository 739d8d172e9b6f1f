"""The REST API at /api/v1: bearer tokens, JSON in and out, the same services as the pages."""
