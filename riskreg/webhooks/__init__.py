"""Signed webhooks (Standard Webhooks) to endpoints admins register, from the audit trail's events."""
