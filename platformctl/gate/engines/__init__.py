"""Policy engines: Rego (regorus, OPA library), the opa-server client, Checkov."""
