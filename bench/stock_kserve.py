"""The anchor for bench.serving: stock KServe serving the same fp32 bundle with a plain kserve.Model
(the way KServe's custom-model example does it: no validation, no body limit, no extra metrics).
Only the bind address differs from stock (127.0.0.1 instead of KServe's hard-coded 0.0.0.0)."""

from __future__ import annotations

import argparse
from pathlib import Path

import kserve
import torch

from workloads.training.model import load_bundle


class StockModel(kserve.Model):
    def __init__(self, name: str, bundle: Path) -> None:
        super().__init__(name)
        self.bundle = bundle
        self.model: torch.nn.Module | None = None
        self.ready = False

    def load(self) -> bool:
        self.model, _ = load_bundle(self.bundle, "fp32")
        self.ready = True
        return True

    def predict(self, payload: dict, headers: dict[str, str] | None = None) -> dict:
        with torch.inference_mode():
            scores = torch.sigmoid(self.model(torch.tensor(payload["instances"], dtype=torch.float32)))  # type: ignore[misc]
        return {"predictions": scores.tolist()}


class LoopbackModelServer(kserve.ModelServer):
    async def _serve(self) -> None:
        if self._rest_server is not None:
            self._rest_server.config.host = "127.0.0.1"
        await super()._serve()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--bundle", type=Path, required=True)
    args, _ = parser.parse_known_args()
    torch.set_num_threads(1)
    model = StockModel("credit-risk", args.bundle)
    model.load()
    LoopbackModelServer(http_port=args.http_port, enable_grpc=False).start([model])


if __name__ == "__main__":
    main()
