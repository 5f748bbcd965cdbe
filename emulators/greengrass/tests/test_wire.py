"""restJson1 wire details: authentication, error bodies and headers, injected faults, drift."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from helpers import fleet, installed, latest_status, publish, recipe, wait_for

HELLO = "com.example.Hello"


def _raw(endpoint: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], dict]:
    req = urllib.request.Request(endpoint + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"{}")


def test_requests_without_authorization_are_refused(endpoint):
    status, headers, body = _raw(endpoint, "/greengrass/v2/components", {})
    assert status == 403
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert body == {"message": "Missing Authentication Token"}
    status, headers, _ = _raw(endpoint, "/greengrass/v2/components", {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/greengrass/aws4_request, SignedHeaders=host, Signature=0"})
    assert status == 200 and headers["x-amzn-RequestId"]


def test_injected_throttling_is_retried_by_boto3(gg, gg_no_retry, control):
    control("DELETE", "requests")
    control("POST", "faults", {"method": "GET", "path": "^/greengrass/v2/components$", "status": 429, "times": 2})
    assert gg.list_components()["components"] == []  # boto3 retried twice, then succeeded
    statuses = [r["status"] for r in control("GET", "requests")["requests"] if r["path"] == "/greengrass/v2/components"]
    assert statuses == [429, 429, 200]

    control("POST", "faults", {"path": "^/greengrass/v2/components$", "status": 429, "headers": {"Retry-After": "7"}})
    with pytest.raises(ClientError) as err:
        gg_no_retry.list_components()
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    assert err.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "7"


def test_injected_server_errors_and_lost_answers(gg, gg_no_retry, control):
    control("POST", "faults", {"path": "createComponentVersion", "status": 500})
    with pytest.raises(ClientError) as err:
        gg_no_retry.create_component_version(inlineRecipe=recipe("com.example.Err", "1.0.0"))
    assert err.value.response["Error"]["Code"] == "InternalServerException"
    # a lost answer: the version is created but the client sees a 500; boto3's retry carries the
    # same auto-generated clientToken, so the service answers with the cached success
    control("POST", "faults", {"path": "createComponentVersion", "status": 500, "when": "after"})
    created = gg.create_component_version(inlineRecipe=recipe("com.example.Err", "1.0.0"))
    assert created["ResponseMetadata"]["RetryAttempts"] == 1
    assert created["componentVersion"] == "1.0.0"
    assert len(gg.list_component_versions(arn=created["arn"].rsplit(":versions:", 1)[0])["componentVersions"]) == 1
    # without the token the retry is a new request, and the version already exists
    control("POST", "faults", {"path": "createComponentVersion", "status": 500, "when": "after"})
    with pytest.raises(ClientError) as err:
        gg_no_retry.create_component_version(inlineRecipe=recipe("com.example.Err", "1.1.0"))
    assert err.value.response["Error"]["Code"] == "InternalServerException"
    with pytest.raises(ClientError) as err:
        gg_no_retry.create_component_version(inlineRecipe=recipe("com.example.Err", "1.1.0"))
    assert err.value.response["Error"]["Code"] == "ConflictException"


def test_deployment_input_validation(gg):
    cases = [
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:device/x"}, "targetArn"),
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:thing/x", "components": {HELLO: {"componentVersion": "1.0.0", "configurationUpdate": {"merge": "[1]"}}}},
         f"components.{HELLO}.configurationUpdate.merge"),
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:thing/x", "components": {HELLO: {"componentVersion": "1.0.0", "configurationUpdate": {"reset": ["port"]}}}},
         f"components.{HELLO}.configurationUpdate.reset"),
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:thing/x", "iotJobConfiguration": {"jobExecutionsRolloutConfig": {"exponentialRate": {
            "baseRatePerMinute": 1, "incrementFactor": 1.55, "rateIncreaseCriteria": {"numberOfNotifiedThings": 1}}}}},
         "iotJobConfiguration.jobExecutionsRolloutConfig.exponentialRate.incrementFactor"),
        ({"targetArn": "arn:aws:iot:us-east-1:123456789012:thing/x", "iotJobConfiguration": {"abortConfig": {"criteriaList": [
            {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 10.999, "minNumberOfExecutedThings": 1}]}}},
         "iotJobConfiguration.abortConfig.criteriaList[0].thresholdPercentage"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ClientError) as err:
            gg.create_deployment(**kwargs)
        assert err.value.response["Error"]["Code"] == "ValidationException", kwargs
        assert [f["name"] for f in err.value.response["fields"]] == [field]
    with pytest.raises(ClientError) as err:
        gg.list_core_devices(maxResults=500)
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_create_deployment_client_token(gg, iot, control):
    group_arn = fleet(iot, control, "tok", [], register=False)
    first = gg.create_deployment(targetArn=group_arn, components={}, clientToken="same-token")
    again = gg.create_deployment(targetArn=group_arn, components={}, clientToken="same-token")
    assert again["deploymentId"] == first["deploymentId"]
    with pytest.raises(ClientError) as err:
        gg.create_deployment(targetArn=group_arn, deploymentName="other", components={}, clientToken="same-token")
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert len(gg.list_deployments(historyFilter="ALL")["deployments"]) == 1


def test_drift_through_the_control_api(gg, iot, control):
    arn = publish(gg, HELLO, "1.0.0")
    group_arn = fleet(iot, control, "drift", ["d1"])
    dep_id = gg.create_deployment(targetArn=group_arn, components={HELLO: {"componentVersion": "1.0.0"}})["deploymentId"]
    wait_for(lambda: latest_status(gg, "d1", dep_id) == "SUCCEEDED", what="SUCCEEDED")

    control("PATCH", "devices/d1", {"components": {HELLO: {"lifecycleState": "BROKEN"}}})
    assert gg.get_core_device(coreDeviceThingName="d1")["status"] == "UNHEALTHY"
    control("PATCH", "devices/d1", {"components": {HELLO: None}})
    assert installed(gg, "d1") == {}
    assert gg.get_core_device(coreDeviceThingName="d1")["status"] == "HEALTHY"

    control("PATCH", f"deployments/{dep_id}", {"deploymentName": "renamed", "tags": {"drift": "yes"}})
    assert gg.get_deployment(deploymentId=dep_id)["deploymentName"] == "renamed"
    assert gg.list_tags_for_resource(resourceArn=f"arn:aws:greengrass:us-east-1:123456789012:deployments:{dep_id}")["tags"] == {"drift": "yes"}

    control("PATCH", f"components/{HELLO}/versions/1.0.0", {"status": {"componentState": "DEPRECATED"}})
    assert gg.describe_component(arn=arn)["status"]["componentState"] == "DEPRECATED"
    control("DELETE", f"components/{HELLO}/versions/1.0.0")
    with pytest.raises(ClientError) as err:
        gg.describe_component(arn=arn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

    control("DELETE", f"deployments/{dep_id}")
    with pytest.raises(ClientError) as err:
        gg.get_deployment(deploymentId=dep_id)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"

    assert gg.delete_core_device(coreDeviceThingName="d1")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert gg.list_core_devices()["coreDevices"] == []
