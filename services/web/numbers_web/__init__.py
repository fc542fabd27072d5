"""web: a page that calls numbers-api by name and says precisely why it fails when it does."""

from .app import create_app

__all__ = ["create_app"]
