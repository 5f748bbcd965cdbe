"""Managed disks and their attachment through the VM, availability sets, scale sets scaled in
place, and the data-source paths (VM sizes and platform images), through azure-mgmt-compute."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from support import LOCATION, nic_body, rg_path, vm_body


@pytest.fixture
def vm(network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    return compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(nic.id)).result()


def with_data_disks(vm, disks):
    body = vm.as_dict()
    props = body["properties"]
    props["storageProfile"]["dataDisks"] = disks
    return {"location": vm.location, "properties": props}


def test_a_managed_disk_is_attached_and_detached_through_the_vm(compute, vm):
    disk = compute.disks.begin_create_or_update("rg", "data1", {
        "location": LOCATION, "sku": {"name": "Premium_LRS"},
        "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 64}}).result()
    assert disk.provisioning_state == "Succeeded" and disk.disk_state == "Unattached"
    assert disk.disk_size_gb == 64 and disk.sku.name == "Premium_LRS" and disk.tier == "P6"
    assert disk.disk_size_bytes == 64 * 1024 ** 3 and disk.unique_id

    attached = compute.virtual_machines.begin_create_or_update("rg", "vm1", with_data_disks(vm, [
        {"lun": 0, "createOption": "Attach", "managedDisk": {"id": disk.id}},
        {"lun": 1, "createOption": "Empty", "diskSizeGB": 8, "name": "scratch", "deleteOption": "Delete"}])).result()
    assert [d.lun for d in attached.storage_profile.data_disks] == [0, 1]
    assert attached.storage_profile.data_disks[0].managed_disk.id == disk.id
    assert compute.disks.get("rg", "data1").disk_state == "Attached"
    assert compute.disks.get("rg", "data1").managed_by == vm.id
    assert compute.disks.get("rg", "scratch").disk_size_gb == 8

    with pytest.raises(HttpResponseError) as err:
        compute.disks.begin_delete("rg", "data1")
    assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"

    compute.virtual_machines.begin_create_or_update("rg", "vm1", with_data_disks(attached, [
        d.as_dict() for d in attached.storage_profile.data_disks if d.lun == 1])).result()
    assert compute.disks.get("rg", "data1").disk_state == "Unattached"
    compute.disks.begin_delete("rg", "data1").result()
    assert [d.name for d in compute.disks.list_by_resource_group("rg")].count("data1") == 0

    # deleteOption Delete goes with the VM; the OS disk (Detach by default) stays
    compute.virtual_machines.begin_delete("rg", "vm1").result()
    names = {d.name for d in compute.disks.list_by_resource_group("rg")}
    assert "scratch" not in names and vm.storage_profile.os_disk.name in names


def test_too_many_data_disks_for_the_size_is_refused(compute, vm):
    disks = [{"lun": i, "createOption": "Empty", "diskSizeGB": 4} for i in range(3)]  # Standard_B1s takes 2
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", with_data_disks(vm, disks))
    assert err.value.status_code == 409 and err.value.error.code == "OperationNotAllowed"


def test_changing_a_create_only_property_is_refused(compute, vm):
    body = vm.as_dict()
    body["properties"]["osProfile"]["adminUsername"] = "someoneelse"
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", {"location": LOCATION, "properties": body["properties"]})
    assert err.value.error.code == "PropertyChangeNotAllowed" and err.value.error.target == "osProfile.adminUsername"


def test_availability_sets_are_synchronous_and_list_their_vms(raw, network, compute, subnet):
    avset = compute.availability_sets.create_or_update("rg", "as1", {
        "location": LOCATION, "sku": {"name": "Aligned"}, "properties": {"platformFaultDomainCount": 2}})
    assert avset.platform_fault_domain_count == 2 and avset.platform_update_domain_count == 5
    assert avset.sku.name == "Aligned" and avset.virtual_machines == []
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    vm = compute.virtual_machines.begin_create_or_update("rg", "vm1", vm_body(
        nic.id, properties={**vm_body(nic.id)["properties"], "availabilitySet": {"id": avset.id}})).result()
    assert [v.id for v in compute.availability_sets.get("rg", "as1").virtual_machines] == [vm.id]
    with pytest.raises(HttpResponseError) as err:
        compute.availability_sets.delete("rg", "as1")
    assert err.value.status_code == 409
    with pytest.raises(HttpResponseError) as err:
        compute.availability_sets.create_or_update("rg", "as2", {"location": LOCATION, "properties": {"platformFaultDomainCount": 4}})
    assert err.value.error.code == "InvalidParameter" and err.value.error.target == "platformFaultDomainCount"


def test_a_scale_set_scales_in_place(compute, subnet):
    def vmss(capacity):
        return {"location": LOCATION, "sku": {"name": "Standard_B1s", "capacity": capacity}, "properties": {
            "upgradePolicy": {"mode": "Manual"},
            "virtualMachineProfile": {
                "osProfile": {"computerNamePrefix": "web", "adminUsername": "azureuser", "adminPassword": "P@ssw0rd-1234"},
                "storageProfile": {"imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                                      "sku": "22_04-lts", "version": "latest"},
                                   "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Standard_LRS"}}},
                "networkProfile": {"networkInterfaceConfigurations": [{"name": "nic", "properties": {
                    "primary": True, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet.id}}}]}}]}}}}

    created = compute.virtual_machine_scale_sets.begin_create_or_update("rg", "ss", vmss(2)).result()
    assert created.provisioning_state == "Succeeded" and created.sku.capacity == 2 and created.unique_id
    assert created.virtual_machine_profile.os_profile.admin_password is None
    instances = list(compute.virtual_machine_scale_set_vms.list("rg", "ss"))
    assert [i.instance_id for i in instances] == ["0", "1"]
    assert {i.provisioning_state for i in instances} == {"Succeeded"}

    scaled = compute.virtual_machine_scale_sets.begin_update("rg", "ss", {"sku": {"capacity": 3}}).result()
    assert scaled.sku.capacity == 3 and scaled.unique_id == created.unique_id
    assert [i.instance_id for i in compute.virtual_machine_scale_set_vms.list("rg", "ss")] == ["0", "1", "2"]
    compute.virtual_machine_scale_sets.begin_update("rg", "ss", {"sku": {"capacity": 1}}).result()
    assert [i.instance_id for i in compute.virtual_machine_scale_set_vms.list("rg", "ss")] == ["0"]


def test_vm_sizes_and_platform_images_for_data_sources(compute):
    sizes = {s.name: s for s in compute.virtual_machine_sizes.list(LOCATION)}
    assert sizes["Standard_B1s"].number_of_cores == 1 and sizes["Standard_B1s"].memory_in_mb == 1024
    assert sizes["Standard_D2s_v3"].max_data_disk_count == 4

    images = compute.virtual_machine_images
    assert "Canonical" in [p.name for p in images.list_publishers(LOCATION)]
    assert "0001-com-ubuntu-server-jammy" in [o.name for o in images.list_offers(LOCATION, "Canonical")]
    assert "22_04-lts-gen2" in [s.name for s in images.list_skus(LOCATION, "Canonical", "0001-com-ubuntu-server-jammy")]
    versions = [v.name for v in images.list(LOCATION, "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts",
                                            orderby="name desc", top=1)]
    assert versions == ["22.04.202402010"]
    image = images.get(LOCATION, "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "22.04.202402010")
    assert image.os_disk_image.operating_system == "Linux"
    with pytest.raises(HttpResponseError) as err:
        images.get(LOCATION, "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "1.0.0")
    assert err.value.status_code == 404


def test_an_unknown_platform_image_is_refused(network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    body = vm_body(nic.id)
    body["properties"]["storageProfile"]["imageReference"]["sku"] = "99_99-lts"
    with pytest.raises(HttpResponseError) as err:
        compute.virtual_machines.begin_create_or_update("rg", "vm1", body)
    assert err.value.status_code == 404 and err.value.error.code == "PlatformImageNotFound"


def test_network_in_use_cannot_be_deleted(network, vm, subnet):
    with pytest.raises(HttpResponseError) as err:
        network.network_interfaces.begin_delete("rg", "nic1")
    assert err.value.error.code == "NicInUse"
    with pytest.raises(HttpResponseError) as err:
        network.subnets.begin_delete("rg", "vnet", "internal")
    assert err.value.error.code == "InUseSubnetCannotBeDeleted"
    assert network.subnets.get("rg", "vnet", "internal").ip_configurations[0].id.startswith(
        f"{rg_path('rg')}/providers/Microsoft.Network/networkInterfaces/nic1/ipConfigurations/")


def test_repeating_the_same_put_keeps_the_same_disks(raw, compute, vm):
    body = with_data_disks(vm, [{"lun": 0, "createOption": "Empty", "diskSizeGB": 16}])
    first = compute.virtual_machines.begin_create_or_update("rg", "vm1", body).result()
    again = compute.virtual_machines.begin_create_or_update("rg", "vm1", body).result()
    assert again.storage_profile.data_disks[0].managed_disk.id == first.storage_profile.data_disks[0].managed_disk.id
    assert len(list(compute.disks.list_by_resource_group("rg"))) == 2  # OS disk + one data disk


def test_power_actions_show_in_the_instance_view(compute, vm):
    compute.virtual_machines.begin_power_off("rg", "vm1").result()
    codes = [s.code for s in compute.virtual_machines.instance_view("rg", "vm1").statuses]
    assert codes == ["ProvisioningState/succeeded", "PowerState/stopped"]
    compute.virtual_machines.begin_start("rg", "vm1").result()
    got = compute.virtual_machines.get("rg", "vm1", expand="instanceView")
    assert got.instance_view.statuses[-1].code == "PowerState/running"


def test_a_group_whose_resources_are_used_elsewhere_is_not_deleted(resources, network, compute, subnet):
    nic = network.network_interfaces.begin_create_or_update("rg", "nic1", nic_body(subnet.id)).result()
    resources.resource_groups.create_or_update("app", {"location": LOCATION})
    compute.virtual_machines.begin_create_or_update("app", "vm1", vm_body(nic.id)).result()
    with pytest.raises(HttpResponseError) as err:
        resources.resource_groups.begin_delete("rg").result()
    assert err.value.error.code == "ResourceGroupDeletionBlocked"
    assert resources.resource_groups.get("rg").properties.provisioning_state == "Succeeded"
    assert network.network_interfaces.get("rg", "nic1").virtual_machine.id.endswith("/resourceGroups/app/providers/Microsoft.Compute/virtualMachines/vm1")
