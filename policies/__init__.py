"""The platform's policies: Rego rules and their data, Checkov checks, the CrossGuard pack, shared facts."""
