"""Custom Checkov checks of the UAE ML platform (ids CKV_UAE_NNN), one class per file.

Checkov's loader (`--external-checks-dir`) only imports folders that have this file.
"""
