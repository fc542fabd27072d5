"""web: a page that calls numbers-api by name and says precisely why it fails when it does.

Run it with ``python -m numbers_web``; the application factory is ``numbers_web.app.create_app``.
"""
