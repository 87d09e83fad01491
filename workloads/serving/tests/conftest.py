from workloads.testing.servers import (  # noqa: F401 - pytest fixtures
    feature_repo,
    feature_server,
    pseudonym_key_file,
    redis_server,
    server_logs,
)
