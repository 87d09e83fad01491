"""The policy gate: preview document -> normalized input -> Rego + Checkov -> waivers -> reports."""
