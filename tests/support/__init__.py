"""Helpers shared by the test suites (unit and integration)."""
