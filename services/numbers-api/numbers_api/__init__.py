"""numbers-api: a random-number API with honest health, readiness, metrics and a fault switch."""

from .app import create_app

__all__ = ["create_app"]
