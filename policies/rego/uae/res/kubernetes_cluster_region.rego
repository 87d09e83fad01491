# METADATA
# title: Kubernetes objects run on a cluster shown to be in me-central-1
# description: >-
#   Kubernetes objects hold data where their cluster runs. The reader gives each kubernetes
#   provider the region of the EKS cluster its kubeconfig is built from, or for a cluster of another
#   stack the region declared in stack config `<project>:kubernetesClusterRegion`
#   (docs/gate-input.md); a provider whose cluster region is neither (ambient kubeconfig) or is
#   outside me-central-1 cannot show that its objects stay in the UAE. Reported once per provider
#   that has live objects, naming how many objects it places.
# scope: package
# schemas:
#   - input: schema["gate-input.schema"]
# custom:
#   id: UAE-RES-016
#   severity: critical
#   controls: ["UAE-PDPL-Art.22-23", "UAE-ICT-Health-Law", "ISO27001:A.5.23"]
#   remediation: >-
#     Build the kubernetes provider's kubeconfig from the me-central-1 EKS cluster of the same
#     program (cluster endpoint, certificate authority and name), not from ambient configuration;
#     for a cluster of another stack set `<project>:kubernetesClusterRegion: me-central-1`.
package uae.res.kubernetes_cluster_region

import data.lib

deny contains f if {
	some p in input.providers
	p.package == "kubernetes"
	objects := [r | some r in lib.live_resources; r.provider == p.urn; r.custom]
	count(objects) > 0
	region := object.get(p, "region", null)
	region != lib.home_region
	f := lib.finding("UAE-RES-016", p, sprintf(
		"kubernetes provider %q places %d object(s) on %s, not in %s",
		[object.get(p, "name", p.urn), count(objects), _where(p, region), lib.home_region],
	))
}

_where(p, region) := "a cluster the preview does not show (region unknown)" if {
	is_null(region)
	count(object.get(p, "clusters", [])) == 0
} else := "clusters in several or unknown regions" if {
	is_null(region)
} else := sprintf("a cluster in %v", [region])
