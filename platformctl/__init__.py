"""platformctl: synthesize, gate and promote the UAE ML platform's Pulumi stacks."""

__version__ = "0.1.0"
