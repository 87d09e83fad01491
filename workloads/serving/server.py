"""The KServe ModelServer around the predictor, with what stock KServe lacks for hostile traffic:
a body-size limit (413), a loopback bind by default, 404 for unknown entities, 503 when the feature server is down,
and a v1 metadata route."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import kserve
import torch
from fastapi.responses import JSONResponse
from kserve import model_server as kserve_model_server

from workloads.serving.features import FeatureStoreUnavailableError
from workloads.serving.predictor import REJECTED, CreditRiskPredictor
from workloads.serving.validation import UnknownEntity

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1 << 20  # 1 MiB: 1,024 feature rows in JSON take ~200 KiB


def cgroup_cpu_limit() -> float | None:
    """CPUs granted by the container's cgroup quota (v2 cpu.max, else v1 cfs), or None when unlimited."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period_us = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


def configure_cpu_threads(requested: int | None = None) -> int:
    """intra-op threads = SERVING_NUM_THREADS, else OMP_NUM_THREADS, else the cgroup CPU quota, else the cores.
    Oversubscribing a CPU quota makes tail latency worse, never better."""
    threads = requested
    for name in ("SERVING_NUM_THREADS", "OMP_NUM_THREADS"):
        if threads is None and os.environ.get(name, "").isdigit() and int(os.environ[name]) > 0:
            threads = int(os.environ[name])
    if threads is None:
        limit = cgroup_cpu_limit()
        cores = os.cpu_count() or 1
        threads = max(1, min(cores, int(limit))) if limit else cores
    torch.set_num_threads(threads)
    try:
        # Requests are already concurrent at the event loop; inter-op parallelism only adds contention.
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already fixed by earlier torch work in this process
    return threads


class BodyLimitMiddleware:
    """ASGI middleware: answers 413 for bodies over `max_bytes` (declared or streamed) before any parsing."""

    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._reject(send, 400, "invalid Content-Length header")
                return
            if int(declared) > self.max_bytes:
                await self._too_large(send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send) -> None:
        REJECTED.labels("too_large").inc()
        await self._reject(send, 413, f"request body larger than {self.max_bytes} bytes")

    async def _reject(self, send, status: int, reason: str) -> None:
        body = json.dumps({"error": reason}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _unknown_entity(_, exc: UnknownEntity) -> JSONResponse:
    return JSONResponse(status_code=404, content={"error": exc.reason})


async def _feature_store_down(_, exc: FeatureStoreUnavailableError) -> JSONResponse:
    log.error("feature server unavailable: %s", exc)
    return JSONResponse(status_code=503, content={"error": f"online features unavailable: {exc}"})


class PredictorServer(kserve.ModelServer):
    """kserve.ModelServer bound to `host` (KServe's REST server hard-codes 0.0.0.0), REST only."""

    def __init__(self, host: str, http_port: int, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, **kwargs) -> None:
        kwargs.setdefault("enable_grpc", False)
        kwargs.setdefault("grace_period", 5)
        super().__init__(http_port=http_port, **kwargs)
        self.host = host
        self._install(kserve_model_server.app, max_body_bytes)

    def _install(self, app, max_body_bytes: int) -> None:
        app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
        app.add_exception_handler(UnknownEntity, _unknown_entity)
        app.add_exception_handler(FeatureStoreUnavailableError, _feature_store_down)
        registry = self.registered_models

        async def v1_metadata(model_name: str) -> JSONResponse:
            model = registry.get_model(model_name)
            if not isinstance(model, CreditRiskPredictor):
                return JSONResponse(status_code=404, content={"error": f"model {model_name!r} not found"})
            return JSONResponse(content=model.metadata())

        app.add_api_route("/v1/models/{model_name}/metadata", v1_metadata, methods=["GET"])

    async def _serve(self) -> None:
        if self._rest_server is not None:
            self._rest_server.config.host = self.host
        await super()._serve()
