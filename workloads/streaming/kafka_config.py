"""librdkafka client settings: plaintext on 127.0.0.1 here, SASL/IAM over TLS against MSK in the cluster.

PLATFORM_KAFKA_SECURITY=msk-iam selects SASL_SSL + OAUTHBEARER with tokens signed by the pod's IAM role
(aws-msk-iam-sasl-signer-python, in-region endpoint: AWS_REGION, default me-central-1). Anything else
(default "plaintext") is for local brokers only.
"""

from __future__ import annotations

import os
from typing import Any

MSK_REGION_DEFAULT = "me-central-1"


def msk_iam_token(_oauthbearer_config: str) -> tuple[str, float]:
    """OAUTHBEARER refresh callback: a SigV4-signed MSK IAM token and its expiry (seconds since epoch)."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(os.environ.get("AWS_REGION", MSK_REGION_DEFAULT))
    return token, expiry_ms / 1000


def security_settings(mode: str | None = None) -> dict[str, Any]:
    mode = mode or os.environ.get("PLATFORM_KAFKA_SECURITY", "plaintext")
    if mode == "plaintext":
        return {"security.protocol": "PLAINTEXT"}
    if mode == "msk-iam":
        return {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER",
            "oauth_cb": msk_iam_token,
            "ssl.endpoint.identification.algorithm": "https",
        }
    raise ValueError(f"PLATFORM_KAFKA_SECURITY={mode!r}: use 'plaintext' (local) or 'msk-iam' (MSK)")


def client_config(bootstrap: str, mode: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"bootstrap.servers": bootstrap, **security_settings(mode), **extra}
