"""`python -m workloads.serving`: the credit-risk KServe model server.

  python -m workloads.serving --http-port 8080 --model-uri models:/credit-risk/latest   (MLflow registry)
  python -m workloads.serving --model-uri out/training/bundle --precision int8          (local bundle)

Every flag also reads SERVING_<FLAG> from the environment. Binds 127.0.0.1 unless --host says otherwise
(in the cluster the image passes --host 0.0.0.0). Exit 2 on a bad model URI or a model that fails to load.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from workloads.serving.predictor import CreditRiskPredictor, ModelSource, ModelSourceError
from workloads.serving.server import DEFAULT_MAX_BODY_BYTES, PredictorServer, configure_cpu_threads
from workloads.training.config import REGISTERED_MODEL_NAME
from workloads.training.model import BundleError
from workloads.training.registry import RegistryError


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"SERVING_{name.upper()}", default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workloads.serving", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=_env("host", "127.0.0.1"))
    parser.add_argument("--http-port", type=int, default=int(_env("http_port", "8080")))  # type: ignore[arg-type]
    parser.add_argument("--model-name", default=_env("model_name", REGISTERED_MODEL_NAME), help="endpoint name")
    parser.add_argument(
        "--model-uri",
        default=_env("model_uri", f"models:/{REGISTERED_MODEL_NAME}/latest"),
        help="bundle directory, file:// URI, or models:/<name>/<version|latest> (MLflow registry)",
    )
    parser.add_argument(
        "--challenger-uri",
        default=_env("challenger_uri"),
        help="a second version served side by side as <model-name>-challenger (A/B evaluation)",
    )
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", ""))
    parser.add_argument("--precision", choices=("fp32", "int8"), default=_env("precision", "fp32"))
    parser.add_argument("--feature-server-url", default=_env("feature_server_url"), help="Feast feature server")
    parser.add_argument("--max-rows", type=int, default=int(_env("max_rows", "1024")))  # type: ignore[arg-type]
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=int(_env("max_body_bytes", str(DEFAULT_MAX_BODY_BYTES))),  # type: ignore[arg-type]
    )
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: cgroup quota)")
    args, _unknown = parser.parse_known_args(argv)  # kserve parses its own flags from sys.argv too
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    threads = configure_cpu_threads(args.threads)
    models = [
        CreditRiskPredictor(
            args.model_name,
            ModelSource(args.model_uri, args.tracking_uri),
            precision=args.precision,
            feature_server_url=args.feature_server_url,
            max_rows=args.max_rows,
        )
    ]
    if args.challenger_uri:
        models.append(
            CreditRiskPredictor(
                f"{args.model_name}-challenger",
                ModelSource(args.challenger_uri, args.tracking_uri),
                precision=args.precision,
                feature_server_url=args.feature_server_url,
                max_rows=args.max_rows,
            )
        )
    try:
        for model in models:
            model.load()
    except (ModelSourceError, BundleError, RegistryError) as exc:
        print(f"serving: cannot load model: {exc}", file=sys.stderr)
        return 2
    logging.getLogger(__name__).info(
        "serving %s on http://%s:%d with %d torch threads",
        ", ".join(f"{m.name} v{m.version}" for m in models),
        args.host,
        args.http_port,
        threads,
    )
    PredictorServer(args.host, args.http_port, max_body_bytes=args.max_body_bytes).start(models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
