"""Outbound SMS (rows first, then a job sends them) and, later, inbound keyword commands."""
