"""DNS probe sidecar: keeps resolving a Service name and durably records every failure.

Run it with ``python -m dns_probe``; see ``config.py`` for the environment variables.
"""
