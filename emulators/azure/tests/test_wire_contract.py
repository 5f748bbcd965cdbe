"""The raw HTTP contract the clients hide: status codes, headers and bodies of ARM's long-running
operations, auth and api-version errors, throttling and paging. The Rust provider drives these
itself (it uses `.send()` and polls `Azure-AsyncOperation`), so they are checked byte for byte."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.mgmt.resource.resources import ResourceManagementClient

from support import LOCATION, SUBSCRIPTION, TENANT, make_client, nic_body, rg_path, vm_body

NET = "2024-03-01"  # azure_mgmt_network 0.21
RES = "2021-04-01"  # azure_mgmt_resources 0.21
COMPUTE = "2024-07-01"  # azure_mgmt_compute 0.21
DISKS = "2024-03-02"  # azure_mgmt_compute 0.21, disks


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached")


def network_for_vm(raw) -> str:
    assert raw.arm("PUT", rg_path("rg"), {"location": LOCATION}, api_version=RES)[0] == 201
    vnet = f"{rg_path('rg')}/providers/Microsoft.Network/virtualNetworks/vnet"
    raw.arm("PUT", vnet, {"location": LOCATION, "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                                               "subnets": [{"name": "a", "properties": {"addressPrefix": "10.0.1.0/24"}}]}},
            api_version=NET)
    nic = f"{rg_path('rg')}/providers/Microsoft.Network/networkInterfaces/nic"
    status, _, _ = raw.arm("PUT", nic, nic_body(f"{vnet}/subnets/a"), api_version=NET)
    assert status == 201
    return nic


def test_put_and_delete_of_a_vm_on_the_wire(raw):
    raw.control("POST", "settings", {"retry_after": 1, "delays": {"Microsoft.Compute/virtualMachines": 0.4}})
    nic = network_for_vm(raw)
    vm = f"{rg_path('rg')}/providers/Microsoft.Compute/virtualMachines/vm1"

    status, headers, body = raw.arm("PUT", vm, vm_body(nic))
    assert status == 201
    assert body["properties"]["provisioningState"] == "Creating"
    assert body["id"] == vm and body["name"] == "vm1" and body["location"] == LOCATION
    assert headers["Retry-After"] == "1"
    async_url = headers["Azure-AsyncOperation"]
    assert async_url.startswith(f"{raw.endpoint}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/{LOCATION}/operations/")
    assert async_url.endswith(f"api-version={COMPUTE}")
    assert "Location" not in headers
    assert headers["Content-Type"].startswith("application/json")
    assert headers["x-ms-ratelimit-remaining-subscription-writes"]

    status, headers, op = raw.call("GET", async_url, auth=True)
    assert status == 200 and op["status"] == "InProgress" and "startTime" in op and "endTime" not in op
    assert raw.arm("GET", vm)[2]["properties"]["provisioningState"] == "Creating"
    op = wait_until(lambda: (o := raw.call("GET", async_url, auth=True)[2])["status"] != "InProgress" and o)
    assert op["status"] == "Succeeded" and "endTime" in op and "error" not in op
    assert raw.arm("GET", vm)[2]["properties"]["provisioningState"] == "Succeeded"

    status, headers, body = raw.arm("PUT", vm, vm_body(nic, size="Standard_B2s"))
    assert status == 200 and body["properties"]["provisioningState"] == "Updating"
    wait_until(lambda: raw.call("GET", headers["Azure-AsyncOperation"], auth=True)[2]["status"] == "Succeeded")

    status, headers, body = raw.arm("DELETE", vm)
    assert status == 202 and body is None
    assert headers["Retry-After"] == "1"
    location = headers["Location"]
    assert location.startswith(f"{raw.endpoint}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/")
    assert "Azure-AsyncOperation" in headers
    assert raw.arm("GET", vm)[2]["properties"]["provisioningState"] == "Deleting"
    status, headers2, _ = raw.call("GET", location, auth=True)
    assert status == 202 and headers2["Location"] and headers2["Retry-After"] == "1"
    wait_until(lambda: raw.call("GET", location, auth=True)[0] == 204)

    status, _, body = raw.arm("GET", vm)
    assert status == 404 and body["error"]["code"] == "ResourceNotFound"
    assert "Microsoft.Compute/virtualMachines/vm1" in body["error"]["message"]
    assert raw.arm("DELETE", vm)[0] == 204  # deleting what is gone is not an error


def test_resource_groups_are_synchronous_to_create_and_asynchronous_to_delete(raw):
    raw.control("POST", "settings", {"retry_after": 1, "delete_delays": {"Microsoft.Resources/resourceGroups": 0.3}})
    status, headers, body = raw.arm("PUT", rg_path("rg"), {"location": "West Europe", "tags": {"a": "b"}}, api_version=RES)
    assert status == 201 and "Azure-AsyncOperation" not in headers
    assert body == {"id": rg_path("rg"), "name": "rg", "type": "Microsoft.Resources/resourceGroups",
                    "location": "westeurope", "tags": {"a": "b"}, "properties": {"provisioningState": "Succeeded"}}
    assert raw.arm("PUT", rg_path("rg"), {"location": LOCATION}, api_version=RES)[0] == 200
    status, _, body = raw.arm("PUT", rg_path("rg"), {"location": "eastus"}, api_version=RES)
    assert status == 409 and body["error"]["code"] == "InvalidResourceGroupLocation"

    status, headers, body = raw.arm("DELETE", rg_path("rg"), api_version=RES)
    assert status == 202 and body is None and headers["Retry-After"] == "1"
    assert headers["Location"].startswith(f"{raw.endpoint}/subscriptions/{SUBSCRIPTION}/operationresults/")
    status, _, body = raw.arm("PUT", f"{rg_path('rg')}/providers/Microsoft.Compute/availabilitySets/as", {"location": LOCATION})
    assert status == 409 and body["error"]["code"] == "ResourceGroupBeingDeleted"
    assert raw.call("GET", headers["Location"], auth=True)[0] == 202
    wait_until(lambda: raw.call("GET", headers["Location"], auth=True)[0] == 200)
    status, _, body = raw.arm("GET", rg_path("rg"), api_version=RES)
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound"


def test_missing_api_version_is_a_400(raw):
    status, _, body = raw.arm("GET", rg_path("rg"), api_version=None)
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"
    status, _, body = raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines", api_version=None)
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"


def test_unsupported_api_versions_are_refused_and_the_crates_versions_accepted(raw):
    status, _, body = raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines",
                              api_version="2099-01-01")
    assert status == 400 and body["error"]["code"] == "NoRegisteredProviderFound" and COMPUTE in body["error"]["message"]
    status, _, body = raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups", api_version="2099-01-01")
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    for path, version in ((f"/subscriptions/{SUBSCRIPTION}/resourcegroups", RES),
                          (f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines", COMPUTE),
                          (f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/disks", DISKS),
                          (f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Network/networkInterfaces", NET)):
        status, _, body = raw.arm("GET", path, api_version=version)
        assert (status, body) == (200, {"value": []}), path
    status, _, body = raw.arm("GET", f"{rg_path('rg')}/providers/Microsoft.Foo/bars/x", api_version="2024-01-01")
    assert status == 400 and body["error"]["code"] == "InvalidResourceNamespace"
    # disks are DiskRP's: the compute api-version is not theirs
    status, _, body = raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/disks", api_version=COMPUTE)
    assert status == 400 and body["error"]["code"] == "NoRegisteredProviderFound"


def test_arm_requires_a_bearer_token_it_issued(raw, endpoint):
    path = f"/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version={RES}"
    status, headers, body = raw.call("GET", path)
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"
    assert headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    status, _, body = raw.call("GET", path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed"
    status, _, body = raw.call("GET", path, auth="eyJhbGciOiJub25lIn0.e30.forged")
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
    expired = raw.control("POST", "azure/token", {"lifetime": -60})["access_token"]
    status, _, body = raw.call("GET", path, auth=expired)
    assert status == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"
    assert raw.call("GET", path, auth=True)[0] == 200

    class Forged:
        def get_token(self, *scopes, **kwargs):
            from azure.core.credentials import AccessToken
            return AccessToken("not-issued-by-the-emulator", int(time.time()) + 3600)

    client = make_client(ResourceManagementClient, endpoint, Forged())
    with pytest.raises(ClientAuthenticationError) as err:
        client.resource_groups.get("rg")
    assert err.value.status_code == 401 and err.value.error.code == "InvalidAuthenticationToken"

    raw.control("POST", "settings", {"accept_any_token": True})
    assert raw.call("GET", path, auth="anything")[0] == 200


def test_token_endpoint_speaks_entra(raw):
    url = f"/{TENANT}/oauth2/v2.0/token"
    good = {"grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret",
            "scope": "https://management.azure.com/.default"}
    status, headers, body = raw.call("POST", url, form=good)
    assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] > 3000
    assert headers["Cache-Control"].startswith("no-store")
    status, _, body = raw.call("POST", url, form={k: v for k, v in good.items() if k != "grant_type"})
    assert status == 400 and body["error"] == "invalid_request" and body["error_codes"] == [900144]
    status, _, body = raw.call("POST", url, form={**good, "scope": "https://management.azure.com/"})
    assert status == 400 and body["error"] == "invalid_scope"
    raw.control("POST", "settings", {"clients": {"app": "s3cret"}})
    assert raw.call("POST", url, form=good)[0] == 200
    status, _, body = raw.call("POST", url, form={**good, "client_secret": "wrong"})
    assert status == 401 and body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    # the v1.0 endpoint takes a resource instead of a scope
    status, _, body = raw.call("POST", f"/{TENANT}/oauth2/token", form={
        "grant_type": "client_credentials", "client_id": "app", "client_secret": "s3cret",
        "resource": "https://management.azure.com/"})
    assert status == 200 and body["resource"] == "https://management.azure.com/"
    assert raw.call("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version={RES}", auth=body["access_token"])[0] == 200


def test_throttling_answer_is_arms(raw):
    raw.control("POST", "faults", {"method": "GET", "path": "/resourcegroups$", "status": 429, "times": 1})
    status, headers, body = raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups", api_version=RES)
    assert status == 429
    assert body["error"]["code"] == "SubscriptionRequestsThrottled"
    assert headers["Retry-After"] == "1"
    assert headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
    assert raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups", api_version=RES)[0] == 200


def test_next_link_carries_the_query(raw):
    raw.control("POST", "settings", {"page_size": 2})
    for i in range(3):
        raw.arm("PUT", rg_path(f"rg{i}"), {"location": LOCATION}, api_version=RES)
    status, _, page = raw.arm("GET", f"/subscriptions/{SUBSCRIPTION}/resourcegroups", api_version=RES)
    assert [g["name"] for g in page["value"]] == ["rg0", "rg1"]
    assert "api-version=2021-04-01" in page["nextLink"] and "%24skiptoken=" in page["nextLink"]
    status, _, page2 = raw.call("GET", page["nextLink"], auth=True)
    assert status == 200 and [g["name"] for g in page2["value"]] == ["rg2"] and "nextLink" not in page2


def test_a_failed_operation_status_carries_the_error(raw):
    nic = network_for_vm(raw)
    vm = f"{rg_path('rg')}/providers/Microsoft.Compute/virtualMachines/vm1"
    raw.control("POST", "azure/fail", {"id": vm, "code": "AllocationFailed", "message": "Allocation failed."})
    _, headers, _ = raw.arm("PUT", vm, vm_body(nic))
    op = wait_until(lambda: (o := raw.call("GET", headers["Azure-AsyncOperation"], auth=True)[2])["status"] != "InProgress" and o)
    assert op["status"] == "Failed" and op["error"] == {"code": "AllocationFailed", "message": "Allocation failed."}
    assert raw.arm("GET", vm)[2]["properties"]["provisioningState"] == "Failed"


def test_parallel_writes_under_one_virtual_network_conflict(raw, network, subnet):
    raw.control("POST", "settings", {"delays": {"Microsoft.Network/virtualNetworks/subnets": 0.5}})
    first = network.subnets.begin_create_or_update("rg", "vnet", "a", {"properties": {"addressPrefix": "10.0.2.0/24"}})
    second = network.subnets.begin_create_or_update("rg", "vnet", "b", {"properties": {"addressPrefix": "10.0.3.0/24"}})
    with pytest.raises(HttpResponseError) as err:
        second.result()
    assert err.value.error.code == "AnotherOperationInProgress"
    assert first.result().provisioning_state == "Succeeded"
    assert sorted(s.name for s in network.subnets.list("rg", "vnet")) == ["a", "internal"]


def test_a_newer_vm_put_preempts_the_running_one(raw):
    raw.control("POST", "settings", {"delays": {"Microsoft.Compute/virtualMachines": 0.4}})
    nic = network_for_vm(raw)
    vm = f"{rg_path('rg')}/providers/Microsoft.Compute/virtualMachines/vm1"
    _, first, _ = raw.arm("PUT", vm, vm_body(nic))
    assert raw.arm("PUT", vm, vm_body(nic, size="Standard_Nope"))[0] == 400  # refused: preempts nothing
    assert raw.call("GET", first["Azure-AsyncOperation"], auth=True)[2]["status"] == "InProgress"
    status, second, body = raw.arm("PUT", vm, vm_body(nic, size="Standard_B2s"))
    assert status == 200 and body["properties"]["provisioningState"] == "Updating"
    op = raw.call("GET", first["Azure-AsyncOperation"], auth=True)[2]
    assert op["status"] == "Canceled" and op["error"]["code"] == "OperationPreempted"
    wait_until(lambda: raw.call("GET", second["Azure-AsyncOperation"], auth=True)[2]["status"] == "Succeeded")
    assert raw.arm("GET", vm)[2]["properties"]["hardwareProfile"]["vmSize"] == "Standard_B2s"
