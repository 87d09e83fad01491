from workloads.testing.servers import (  # noqa: F401 - pytest fixtures
    feature_repo,
    feature_server,
    redis_server,
    server_logs,
)
