"""The Pulumi program of the UAE ML platform (entry point: infra/__main__.py)."""
