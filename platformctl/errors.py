"""Errors a user can hit, each mapped to an exit code at the CLI edge.

Exit codes: 0 allowed/ok, 1 denied (a policy finding, or a promotion refused by a promotion rule:
no allow verdict, soak time, gate deny; platformctl/release/promotion.py), 2 input, configuration,
waiver, engine, git or ledger error.
Nothing that fails may turn into an allow, so every failure path raises one of these.
"""

from __future__ import annotations

# The exit codes of every platformctl command, in one place.
EXIT_OK = 0  # allowed / done
EXIT_DENY = 1  # a policy finding denies, or a promotion rule refuses
EXIT_ERROR = 2  # input, configuration, waiver, engine, git or ledger error: never an allow


class PlatformError(Exception):
    """Base class: a problem the user can fix; the message says what to do."""

    exit_code = EXIT_ERROR


class StackError(PlatformError):
    """The stack is unknown or its configuration is invalid."""


class SynthesisError(PlatformError):
    """The Pulumi program failed while being synthesized under mocks."""


class PreviewFormatError(PlatformError):
    """The gate's input is not a `pulumi preview --json` document it can trust."""


class WaiverError(PlatformError):
    """The waivers file is malformed."""


class PolicyEngineError(PlatformError):
    """A policy engine failed; the gate never treats that as an allow."""
