"""Departments that own controls; managed by admins."""
