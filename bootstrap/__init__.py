"""The bootstrap program: what must exist in a new AWS account before the platform's first deploy."""
