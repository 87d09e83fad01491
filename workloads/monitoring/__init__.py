"""Drift monitoring: recent serving inputs against the training reference, Prometheus metrics, retraining."""
