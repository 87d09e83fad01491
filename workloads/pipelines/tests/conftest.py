from workloads.testing.servers import pseudonym_key_file, redis_server, server_logs  # noqa: F401 - pytest fixtures
