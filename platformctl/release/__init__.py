"""Release bundles, promotion and provenance.

The program and the workloads read their pins here::

    from platformctl.release import load_bundle
    bundle = load_bundle("dev")                      # stacks/release.dev.yaml (or $PLATFORM_STACKS_DIR)
    bundle.image_ref("serving", repository_url)      # "<repo>@sha256:..."
    bundle.model_version("credit-risk"), bundle.chart_version("kserve"), bundle.feature_repo_version
"""

from platformctl.release.bundle import (
    IMAGE_NAMES,
    BundleError,
    ReleaseBundle,
    load_bundle,
    load_bundle_file,
)

__all__ = ["IMAGE_NAMES", "BundleError", "ReleaseBundle", "load_bundle", "load_bundle_file"]
