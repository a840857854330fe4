# Only prod may expose a Service through a LoadBalancer. Policies follow
# conftest conventions: `deny` fails `kprov validate`, `warn` is printed.
# `input` is one rendered object, `data.kprov` the context of its namespace.
package main

deny contains msg if {
	input.apiVersion == "v1"
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	data.kprov.environment.name != "prod"
	msg := sprintf(
		"Service %s is of type LoadBalancer in environment %s; only prod may expose LoadBalancers",
		[input.metadata.name, data.kprov.environment.name],
	)
}
