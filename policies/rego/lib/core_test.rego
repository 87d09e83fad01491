package lib.core_test

import data.lib.fixtures_test as fx

# Child packages of `lib` refer to data.lib.* in full (README: regorus 0.13 mis-resolves
# `import data.lib` from inside them).

# The fixtures spell the unknown and secret markers out (see fixtures_test.rego); they must be the
# library's own values, or every test built on them would test something else.
test_fixture_markers_are_the_library_markers if {
	fx.unknown == data.lib.unknown
	fx.secret == data.lib.secret
}

test_opaque_kind_reads_both_markers if {
	data.lib.opaque_kind(fx.unknown) == "unknown"
	data.lib.opaque_kind(fx.secret) == "secret"
	not data.lib.is_opaque("me-central-1")
}
