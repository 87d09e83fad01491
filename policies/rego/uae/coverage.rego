# What the rules judge: the gate's second entrypoint, data.uae.coverage.unjudged.
# No `import data.lib` here: with that import in the calling package, regorus 0.13 evaluated
# data.lib.k8s.judged_urns differently from OPA (tests/policy/test_independent_corpus.py compares).
package uae.coverage

# URNs of live custom resources that no rule judges. The gate lists those that Checkov has no check
# for either as "unchecked" in every report (neither an error nor a silent pass). Every aws
# resource is judged (residency reads each one's region); Kubernetes objects when they embed pod
# specs (or opaque pod structure) or are of a kind a rule reads as a whole (lib/k8s.rego).
unjudged := {r.urn |
	some r in data.lib.live_resources
	r.custom
	r.package != "aws"
	not r.type in data.lib.k8s.judged_types
	not r.urn in data.lib.k8s.judged_urns
}
