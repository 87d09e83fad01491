"""Offline synthesis: run the real infra/ program under Pulumi's mocks and emit preview JSON."""

from platformctl.synth.engine import synthesize

__all__ = ["synthesize"]
