"""Policy engines: Rego (regorus, OPA library), the opa-server client, Checkov."""

# The Rego engines `platformctl gate --engine` names. "opa" always means the OPA Go library in this
# process; an OPA server is "opa-server" (docs/adr/0004-rego-engines.md).
ENGINES = ("regorus", "opa", "opa-server")
