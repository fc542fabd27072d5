"""numbers-api: a random-number API with honest health, readiness, metrics and a fault switch.

Run it with ``python -m numbers_api``; the application factory is ``numbers_api.app.create_app``.
"""
