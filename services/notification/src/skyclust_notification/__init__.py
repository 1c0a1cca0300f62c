"""Notification service: inbox, signed webhooks, email and rules."""
