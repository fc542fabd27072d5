"""What numbers-api, web and the DNS probe share, so that each is written once.

env        configuration read once from the environment, failing on the first bad variable
server     `python -m <program>`: gunicorn with the settings all three run with
lifecycle  the drain after SIGTERM, and the worker that stops listening when it stops accepting
limits     requests no program needs, refused early
metrics    Prometheus request metrics across gunicorn workers
errors     the one JSON error shape
testing    poll with a deadline and a free port, for the tests, the scenario and the bench
"""
