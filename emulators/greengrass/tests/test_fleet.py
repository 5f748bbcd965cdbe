"""Deployments to a simulated fleet whose thing groups live in moto's AWS IoT."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from helpers import fleet, installed, latest_status, publish, wait_for

HELLO = "com.example.Hello"


def test_group_deployment_rolls_out_at_the_rate_and_devices_report(gg, iot, control):
    publish(gg, HELLO, "1.0.0", {"greeting": "hi", "port": 80})
    things = [f"gw{i}" for i in range(5)]
    group_arn = fleet(iot, control, "canary", things)
    assert control("GET", "devices/gw0")["iotGroups"] == ["canary"]  # read from moto

    created = gg.create_deployment(
        targetArn=group_arn, deploymentName="canary-hello",
        components={HELLO: {"componentVersion": "1.0.0", "configurationUpdate": {"merge": '{"port": 8080}'}}},
        iotJobConfiguration={"jobExecutionsRolloutConfig": {"maximumPerMinute": 2}},
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["iotJobArn"] == f"arn:aws:iot:us-east-1:123456789012:job/{created['iotJobId']}"
    dep_id = created["deploymentId"]

    wait_for(lambda: all(latest_status(gg, t, dep_id) == "SUCCEEDED" for t in things), what="every device SUCCEEDED")
    # two notifications per simulated minute: windows 0, 0, 1, 1, 2
    job = control("GET", f"deployments/{dep_id}")["job"]
    assert sorted(e["window"] for e in job["executions"].values()) == [0, 0, 1, 1, 2]

    for thing in things:
        components = gg.list_installed_components(coreDeviceThingName=thing)["installedComponents"]
        assert [(c["componentName"], c["componentVersion"], c["lifecycleState"], c["isRoot"]) for c in components] == [(HELLO, "1.0.0", "RUNNING", True)]
        assert components[0]["lastInstallationSource"] == dep_id
        assert control("GET", f"devices/{thing}")["installedComponents"][HELLO]["configuration"] == {"greeting": "hi", "port": 8080}
        device = gg.get_core_device(coreDeviceThingName=thing)
        assert device["status"] == "HEALTHY" and device["coreVersion"] == "2.14.0"
    everything = gg.list_installed_components(coreDeviceThingName="gw0", topologyFilter="ALL")["installedComponents"]
    assert {c["componentName"] for c in everything} == {HELLO, "aws.greengrass.Nucleus"}

    effective = gg.list_effective_deployments(coreDeviceThingName="gw0")["effectiveDeployments"]
    assert [(e["deploymentId"], e["deploymentName"], e["targetArn"], e["iotJobId"]) for e in effective] == [
        (dep_id, "canary-hello", group_arn, created["iotJobId"])]

    by_group = gg.list_core_devices(thingGroupArn=group_arn)["coreDevices"]
    assert sorted(d["coreDeviceThingName"] for d in by_group) == things
    pages = gg.get_paginator("list_core_devices").paginate(thingGroupArn=group_arn, status="HEALTHY", PaginationConfig={"PageSize": 2})
    assert [len(p["coreDevices"]) for p in pages] == [2, 2, 1]

    deployment = gg.get_deployment(deploymentId=dep_id)
    # a thing-group deployment is continuous: it stays ACTIVE after its devices finish
    assert deployment["deploymentStatus"] == "ACTIVE" and deployment["isLatestForTarget"] is True
    assert deployment["revisionId"] == "1" and deployment["deploymentName"] == "canary-hello"
    assert deployment["components"][HELLO]["configurationUpdate"] == {"merge": '{"port": 8080}'}


def test_a_device_added_to_the_group_in_iot_receives_the_deployment(gg, iot, control):
    publish(gg, HELLO, "1.0.0")
    group_arn = fleet(iot, control, "fleet", ["a1"])
    iot.create_thing(thingName="late")
    control("POST", "devices", {"thingName": "late"})
    dep_id = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "a1", dep_id) == "SUCCEEDED", what="a1 SUCCEEDED")
    assert gg.list_effective_deployments(coreDeviceThingName="late")["effectiveDeployments"] == []

    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="late")  # only moto knows
    wait_for(lambda: latest_status(gg, "late", dep_id) == "SUCCEEDED", what="the late device SUCCEEDED")
    assert installed(gg, "late") == {HELLO: "1.0.0"}


def test_newer_deployment_supersedes_and_keeps_configuration(gg, iot, control):
    publish(gg, HELLO, "1.0.0", {"greeting": "hi", "port": 80})
    publish(gg, HELLO, "1.1.0", {"greeting": "hello", "port": 80, "tls": False})
    publish(gg, "com.example.Sidecar", "1.0.0")
    group_arn = fleet(iot, control, "site", ["s1", "s2"])

    first = gg.create_deployment(targetArn=group_arn, deploymentName="site", components={
        HELLO: {"componentVersion": "1.0.0", "configurationUpdate": {"merge": '{"port": 9000}'}},
        "com.example.Sidecar": {"componentVersion": "1.0.0"},
    })["deploymentId"]
    wait_for(lambda: all(latest_status(gg, t, first) == "SUCCEEDED" for t in ("s1", "s2")), what="first deployment")

    # the next revision names no configuration update and drops the sidecar
    second = gg.create_deployment(targetArn=group_arn, deploymentName="site", components={HELLO: {"componentVersion": "1.1.0"}})["deploymentId"]
    wait_for(lambda: all(latest_status(gg, t, second) == "SUCCEEDED" for t in ("s1", "s2")), what="second deployment")
    assert installed(gg, "s1") == {HELLO: "1.1.0"}  # the sidecar is gone
    config = control("GET", "devices/s1")["installedComponents"][HELLO]["configuration"]
    assert config == {"greeting": "hi", "port": 9000, "tls": False}  # kept; the new version's new key added

    old, new = gg.get_deployment(deploymentId=first), gg.get_deployment(deploymentId=second)
    assert (old["deploymentStatus"], old["isLatestForTarget"]) == ("INACTIVE", False)
    assert (new["deploymentStatus"], new["isLatestForTarget"], new["revisionId"]) == ("ACTIVE", True, "2")
    assert [d["deploymentId"] for d in gg.list_deployments(targetArn=group_arn)["deployments"]] == [second]
    assert [d["deploymentId"] for d in gg.list_deployments(targetArn=group_arn, historyFilter="ALL")["deployments"]] == [second, first]

    # reset then merge, as the developer guide orders them
    third = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.1.0", "configurationUpdate": {
        "reset": ["/greeting", "/tls"], "merge": '{"tls": true}'}}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "s1", third) == "SUCCEEDED", what="third deployment")
    assert control("GET", "devices/s1")["installedComponents"][HELLO]["configuration"] == {"greeting": "hello", "port": 9000, "tls": True}


def test_a_device_runs_the_union_of_its_thing_and_group_deployments(gg, iot, control):
    publish(gg, HELLO, "1.0.0")
    publish(gg, "com.example.Local", "1.0.0")
    group_arn = fleet(iot, control, "line", ["m1"])
    thing_arn = iot.describe_thing(thingName="m1")["thingArn"]
    g = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "m1", g) == "SUCCEEDED", what="group deployment")
    t = gg.create_deployment(targetArn=thing_arn, components={"com.example.Local": {"componentVersion": "1.0.0"}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "m1", t) == "COMPLETED", what="thing deployment")  # COMPLETED for a thing target
    assert installed(gg, "m1") == {HELLO: "1.0.0", "com.example.Local": "1.0.0"}
    assert gg.get_deployment(deploymentId=t)["deploymentStatus"] == "COMPLETED"
    assert gg.get_deployment(deploymentId=g)["deploymentStatus"] == "ACTIVE"


def test_cancel_and_delete(gg, iot, control):
    control("POST", "settings", {"time_scale": 10.0})  # a rollout window lasts 6 real seconds
    publish(gg, HELLO, "1.0.0")
    things = ["c1", "c2", "c3", "c4"]
    group_arn = fleet(iot, control, "slow", things)
    dep_id = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}},
                                  iotJobConfiguration={"jobExecutionsRolloutConfig": {"maximumPerMinute": 1}})["deploymentId"]
    # c1 (notified in the first window) has taken the deployment; the others wait for later windows
    wait_for(lambda: latest_status(gg, "c1", dep_id) in ("IN_PROGRESS", "SUCCEEDED"), what="c1 to take the deployment")
    assert gg.cancel_deployment(deploymentId=dep_id)["message"] == "SUCCESS"
    assert gg.get_deployment(deploymentId=dep_id)["deploymentStatus"] == "CANCELED"
    wait_for(lambda: latest_status(gg, "c1", dep_id) == "SUCCEEDED", what="c1 to finish what it received")
    assert [latest_status(gg, t, dep_id) for t in things[1:]] == [None, None, None]  # never notified
    assert control("GET", f"deployments/{dep_id}")["job"]["status"] == "CANCELED"

    with pytest.raises(ClientError) as err:
        gg.cancel_deployment(deploymentId=dep_id)
    assert err.value.response["Error"]["Code"] == "ConflictException"

    active = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}})["deploymentId"]
    with pytest.raises(ClientError) as err:
        gg.delete_deployment(deploymentId=active)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert gg.delete_deployment(deploymentId=dep_id)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as err:
        gg.get_deployment(deploymentId=dep_id)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert latest_status(gg, "c1", dep_id) == "SUCCEEDED"  # the device keeps its effective deployment


def test_failing_devices_abort_the_job_and_roll_back(gg, iot, control):
    publish(gg, HELLO, "1.0.0")
    publish(gg, HELLO, "2.0.0")
    things = [f"f{i:02d}" for i in range(10)]
    group_arn = fleet(iot, control, "fleet", things)
    v1 = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}})["deploymentId"]
    wait_for(lambda: all(latest_status(gg, t, v1) == "SUCCEEDED" for t in things), what="v1 everywhere")

    failing = ["f01", "f02", "f03"]  # 30 % of the fleet, all among the first five notified
    control("POST", "failures", {"things": failing, "componentName": HELLO, "componentVersion": "2.0.0"})
    v2 = gg.create_deployment(
        targetArn=group_arn, deploymentName="v2",
        components={HELLO: {"componentVersion": "2.0.0"}},
        deploymentPolicies={"failureHandlingPolicy": "ROLLBACK"},
        iotJobConfiguration={
            "jobExecutionsRolloutConfig": {"maximumPerMinute": 5},
            "abortConfig": {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 20, "minNumberOfExecutedThings": 5}]},
        },
    )["deploymentId"]
    wait_for(lambda: gg.get_deployment(deploymentId=v2)["deploymentStatus"] == "CANCELED", what="the abort")
    assert "aborted" in control("GET", f"deployments/{v2}")["job"]["reason"]

    for thing in failing:
        effective = next(e for e in gg.list_effective_deployments(coreDeviceThingName=thing)["effectiveDeployments"] if e["deploymentId"] == v2)
        assert effective["coreDeviceExecutionStatus"] == "FAILED"
        assert effective["statusDetails"]["errorStack"] == ["DEPLOYMENT_FAILURE", "COMPONENT_UPDATE_ERROR", "COMPONENT_BROKEN"]
        assert effective["reason"].startswith("FAILED_ROLLBACK_COMPLETE")
        assert installed(gg, thing) == {HELLO: "1.0.0"}  # rolled back
        assert gg.get_core_device(coreDeviceThingName=thing)["status"] == "HEALTHY"
    for thing in ("f00", "f04"):
        assert latest_status(gg, thing, v2) == "SUCCEEDED" and installed(gg, thing) == {HELLO: "2.0.0"}
    for thing in things[5:]:  # the abort stopped the rollout before these were notified
        assert latest_status(gg, thing, v2) is None and installed(gg, thing) == {HELLO: "1.0.0"}
    assert gg.list_core_devices(status="UNHEALTHY")["coreDevices"] == []


def test_do_nothing_leaves_a_broken_device_and_a_failed_thing_deployment(gg, iot, control):
    publish(gg, HELLO, "1.0.0")
    iot.create_thing(thingName="solo")
    thing_arn = iot.describe_thing(thingName="solo")["thingArn"]
    control("POST", "devices", {"thingName": "solo"})
    control("POST", "failures", {"things": ["solo"], "componentName": HELLO})
    dep_id = gg.create_deployment(targetArn=thing_arn, components={HELLO: {"componentVersion": "1.0.0"}},
                                  deploymentPolicies={"failureHandlingPolicy": "DO_NOTHING"})["deploymentId"]
    wait_for(lambda: gg.get_deployment(deploymentId=dep_id)["deploymentStatus"] == "FAILED", what="FAILED")
    assert latest_status(gg, "solo", dep_id) == "FAILED"
    component = gg.list_installed_components(coreDeviceThingName="solo")["installedComponents"][0]
    assert (component["componentVersion"], component["lifecycleState"], component["lifecycleStatusCodes"]) == ("1.0.0", "BROKEN", ["RUN_ERROR"])
    assert gg.get_core_device(coreDeviceThingName="solo")["status"] == "UNHEALTHY"
    assert [d["coreDeviceThingName"] for d in gg.list_core_devices(status="UNHEALTHY")["coreDevices"]] == ["solo"]


def test_a_missing_component_version_fails_on_the_device(gg, iot, control):
    group_arn = fleet(iot, control, "g", ["x1"])
    dep_id = gg.create_deployment(targetArn=group_arn, components={"com.example.Nowhere": {"componentVersion": "1.0.0"}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "x1", dep_id) == "FAILED", what="FAILED")
    effective = gg.list_effective_deployments(coreDeviceThingName="x1")["effectiveDeployments"][0]
    assert "NO_AVAILABLE_COMPONENT_VERSION" in effective["statusDetails"]["errorStack"]
    assert effective["reason"].startswith("FAILED_NO_STATE_CHANGE")
    with pytest.raises(ClientError) as err:
        gg.create_deployment(targetArn="arn:aws:iot:us-east-1:123456789012:thinggroup/no-such-group", components={})
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        gg.get_core_device(coreDeviceThingName="nobody")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_timeout_and_disconnected_devices(gg, iot, control):
    publish(gg, HELLO, "1.0.0")
    group_arn = fleet(iot, control, "t", ["hang", "offline"])
    control("PATCH", "devices/offline", {"connected": False})
    control("POST", "failures", {"things": ["hang"], "componentName": HELLO, "mode": "hang"})
    dep_id = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}},
                                  iotJobConfiguration={"timeoutConfig": {"inProgressTimeoutInMinutes": 1}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "hang", dep_id) == "TIMED_OUT", what="TIMED_OUT")
    assert latest_status(gg, "offline", dep_id) == "QUEUED"  # waits for the device
    control("PATCH", "devices/offline", {"connected": True})
    wait_for(lambda: latest_status(gg, "offline", dep_id) == "SUCCEEDED", what="the reconnected device")
