package aic

# Service configurations must name their owner. A configuration whose content is not
# known yet (null in the JSON plan) is checked on the next plan.
deny contains {"msg": msg, "address": rc.address} if {
	some rc in input.resource_changes
	rc.type == "local_file"
	endswith(rc.after.filename, "/config.json")
	is_string(rc.after.content)
	config := json.unmarshal(rc.after.content)
	not owned(config)
	msg := sprintf("%s has no owner: add `owner = \"<team>\"` to its configuration", [rc.address])
}

owned(config) if {
	is_string(config.owner)
	config.owner != ""
}
