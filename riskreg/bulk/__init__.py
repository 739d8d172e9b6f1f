"""Bulk changes: many risks (register) or controls (tracker) changed in one step."""
