"""A VM's life through Microsoft's own clients: what `azure-mgmt-compute` sees is what the Rust
provider will see (issue 14, "Done when")."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from support import LOCATION, SUBSCRIPTION, nic_body, rg_path, vm_body


def test_create_read_list_update_delete_a_vm(raw, resources, network, compute, subnet):
    assert subnet.provisioning_state == "Succeeded"
    assert subnet.id == f"{rg_path('rg')}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/internal"

    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    assert nic.provisioning_state == "Succeeded"
    # the first address Azure hands out in a subnet is .4 (.0-.3 are reserved)
    assert nic.ip_configurations[0].private_ip_address == "10.0.1.4"
    assert nic.virtual_machine is None

    poller = compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id, tags={"env": "test"}))
    vm = poller.result()
    assert vm.provisioning_state == "Succeeded"
    assert vm.id == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    assert vm.name == "vm1" and vm.type == "Microsoft.Compute/virtualMachines" and vm.location == LOCATION
    assert len(vm.vm_id) == 36
    assert vm.hardware_profile.vm_size == "Standard_B1s"
    assert vm.storage_profile.os_disk.os_type == "Linux"
    assert vm.storage_profile.image_reference.exact_version == "22.04.202402010"
    assert vm.tags == {"env": "test"}

    # the OS disk is a managed disk in the group, attached to the VM
    disk_name = vm.storage_profile.os_disk.name
    os_disk = compute.disks.get("rg", disk_name)
    assert os_disk.disk_state == "Attached" and os_disk.managed_by == vm.id
    assert vm.storage_profile.os_disk.managed_disk.id == os_disk.id
    # the NIC now belongs to the VM
    assert network.network_interfaces.get("rg", "nic1").virtual_machine.id == vm.id

    got = compute.virtual_machines.get("rg", "vm1")
    assert got.vm_id == vm.vm_id and got.provisioning_state == "Succeeded"
    assert got.os_profile.admin_username == "azureuser" and got.os_profile.admin_password is None

    # update in place: size and tags through PATCH (VirtualMachines_Update)
    updated = compute.virtual_machines.begin_update(
        "rg", "vm1", {"properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}, "tags": {"env": "prod"}}).result()
    assert updated.provisioning_state == "Succeeded"
    assert updated.hardware_profile.vm_size == "Standard_B2s" and updated.tags == {"env": "prod"}
    assert compute.virtual_machines.get("rg", "vm1").hardware_profile.vm_size == "Standard_B2s"

    compute.virtual_machines.begin_delete("rg", "vm1").result()
    with pytest.raises(ResourceNotFoundError) as err:
        compute.virtual_machines.get("rg", "vm1")
    assert err.value.error.code == "ResourceNotFound"
    # deleteOption defaults to Detach: the disk and the NIC stay, now unattached
    assert compute.disks.get("rg", disk_name).disk_state == "Unattached"
    assert network.network_interfaces.get("rg", "nic1").virtual_machine is None


def test_listing_follows_next_link_across_pages(raw, network, compute, subnet):
    raw.control("POST", "settings", {"page_size": 2})
    pollers = []
    for i in range(5):
        nic = network.network_interfaces.begin_create_or_update("rg", f"nic{i}", nic_body(subnet.id)).result()
        pollers.append(compute.virtual_machines.begin_create_or_update("rg", f"vm{i}", vm_body(nic.id)))
    for p in pollers:
        assert p.result().provisioning_state == "Succeeded"

    raw.control("DELETE", "requests")
    names = [vm.name for vm in compute.virtual_machines.list("rg")]
    assert names == [f"vm{i}" for i in range(5)]
    pages = [r for r in raw.requests() if r["method"] == "GET" and r["path"].endswith("/virtualMachines")]
    assert len(pages) == 3  # 2 + 2 + 1
    assert {vm.name for vm in compute.virtual_machines.list_all()} == {f"vm{i}" for i in range(5)}

    # the NICs got consecutive addresses
    ips = sorted(network.network_interfaces.get("rg", f"nic{i}").ip_configurations[0].private_ip_address for i in range(5))
    assert ips == [f"10.0.1.{i}" for i in range(4, 9)]


def test_provisioning_state_moves_from_creating_to_succeeded(raw, network, compute, subnet):
    raw.control("POST", "settings", {"delays": {"Microsoft.Compute/virtualMachines": 0.6}})
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    poller = compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id))
    assert compute.virtual_machines.get("rg", "vm1").provisioning_state == "Creating"
    assert poller.status() == "InProgress"
    assert poller.result().provisioning_state == "Succeeded"
    assert compute.virtual_machines.get("rg", "vm1").provisioning_state == "Succeeded"


def test_a_failed_operation_surfaces_arm_code_and_leaves_the_object(raw, network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    vm_id = f"{rg_path('rg')}/providers/Microsoft.Compute/virtualMachines/vm1"
    raw.control("POST", "azure/fail", {"id": vm_id, "code": "OSProvisioningTimedOut",
                                       "message": "OS Provisioning for VM 'vm1' did not finish in the allotted time."})
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id)).result()
    assert err.value.error.code == "OSProvisioningTimedOut"
    assert "allotted time" in err.value.error.message
    # the VM exists, Failed, and a later PUT succeeds (the rule fired once)
    assert compute.virtual_machines.get("rg", "vm1").provisioning_state == "Failed"
    assert compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id)).result().provisioning_state == "Succeeded"


def test_throttling_is_retried_by_the_client(raw, resources):
    resources.resource_groups.create_or_update("rg", {"location": LOCATION})
    raw.control("POST", "faults", {"method": "GET", "path": "/resourcegroups/rg$", "status": 429,
                                   "headers": {"Retry-After": "1"}, "times": 1})
    raw.control("DELETE", "requests")
    assert resources.resource_groups.get("rg").name == "rg"
    statuses = [r["status"] for r in raw.requests() if r["path"].endswith("/resourcegroups/rg")]
    assert statuses == [429, 200]


def test_transient_server_errors_are_retried(raw, network, subnet):
    raw.control("POST", "faults", {"method": "PUT", "path": "networkInterfaces/nic1$", "status": 503, "times": 1})
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    assert nic.provisioning_state == "Succeeded"


def test_deleting_a_resource_group_deletes_what_is_inside(raw, resources, network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id)).result()
    resources.resource_groups.create_or_update("other", {"location": LOCATION})
    compute.availability_sets.create_or_update("other", "keep", {"location": LOCATION})
    inside = {r.type for r in resources.resources.list_by_resource_group("rg")}
    assert inside == {"Microsoft.Network/virtualNetworks", "Microsoft.Network/networkInterfaces",
                      "Microsoft.Compute/virtualMachines", "Microsoft.Compute/disks"}

    poller = resources.resource_groups.begin_delete("rg")
    assert resources.resource_groups.get("rg").properties.provisioning_state == "Deleting"
    poller.result()

    assert not resources.resource_groups.check_existence("rg")
    with pytest.raises(ResourceNotFoundError) as err:
        compute.virtual_machines.get("rg", "vm1")
    assert err.value.error.code == "ResourceGroupNotFound"
    assert list(compute.virtual_machines.list_all()) == []
    assert list(compute.disks.list()) == []
    assert [n.name for n in network.virtual_networks.list_all()] == []
    assert [a.name for a in compute.availability_sets.list_by_subscription()] == ["keep"]


def test_validation_errors_carry_arm_codes(raw, resources, network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id, size="Standard_Nope"))
    assert err.value.status_code == 400
    assert err.value.error.code == "InvalidParameter" and err.value.error.target == "vmSize"

    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "bad_name!", vm_body(nic.id))
    assert err.value.error.code == "InvalidParameter" and err.value.error.target == "vmName"

    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.create_or_update("bad name!", {"location": LOCATION})
    assert err.value.error.code == "InvalidResourceGroup"

    missing_subnet = subnet.id.replace("/internal", "/nope")
    with pytest.raises(HttpResponseError) as err:
        network.network_interfaces.begin_create_or_update("rg", "nic2", nic_body(missing_subnet))
    assert err.value.status_code == 400 and err.value.error.code == "InvalidResourceReference"

    missing_nic = nic.id.replace("nic1", "nope")
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(missing_nic))
    assert err.value.error.code == "NotFound"

    body = vm_body(nic.id)
    del body["properties"]["osProfile"]["adminUsername"]
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", body)
    assert err.value.error.code == "InvalidParameter" and err.value.error.target == "osProfile.adminUsername"

    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("nope", "vm1", vm_body(nic.id))
    assert err.value.status_code == 404 and err.value.error.code == "ResourceGroupNotFound"


def test_a_resource_being_deleted_refuses_other_operations(raw, network, compute, subnet):
    raw.control("POST", "settings", {"delete_delays": {"default": 1.0}})
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id)).result()
    deletion = compute.virtual_machines.begin_delete("rg", "vm1")
    assert compute.virtual_machines.get("rg", "vm1").provisioning_state == "Deleting"
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_update("rg", "vm1", {"tags": {"a": "b"}})
    assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"
    deletion.result()


def test_drift_out_of_band_is_what_the_client_reads(raw, network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    vm = compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id)).result()
    raw.control("POST", "azure/drift", {"id": vm.id, "patch": {"tags": {"owner": "someone-else"},
                                                               "properties": {"hardwareProfile": {"vmSize": "Standard_B2ms"}}}})
    drifted = compute.virtual_machines.get("rg", "vm1")
    assert drifted.tags == {"owner": "someone-else"} and drifted.hardware_profile.vm_size == "Standard_B2ms"
    raw.control("POST", "azure/drift", {"id": vm.id, "delete": True})
    with pytest.raises(ResourceNotFoundError):
        compute.virtual_machines.get("rg", "vm1")
    assert network.network_interfaces.get("rg", "nic1").virtual_machine is None
