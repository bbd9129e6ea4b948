"""Alerts: which conditions deserve one, once and then as reminders, over which channels."""
