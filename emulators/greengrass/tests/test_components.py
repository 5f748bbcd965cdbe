"""Component versions through boto3's greengrassv2 client."""

from __future__ import annotations

import json

import pytest
import yaml
from botocore.exceptions import ClientError

from helpers import publish, recipe, wait_for

ACCOUNT = "123456789012"

YAML_RECIPE = b"""---
RecipeFormatVersion: 2020-01-25
ComponentName: com.example.Yaml
ComponentVersion: 2.0.0
ComponentDescription: written in YAML
ComponentPublisher: aic
ComponentConfiguration:
  DefaultConfiguration:
    port: 8080
    greeting: hello
ComponentDependencies:
  com.example.Json:
    VersionRequirement: ">=1.0.0 <2.0.0"
Manifests:
  - Platform:
      os: linux
    Lifecycle:
      Run: echo {configuration:/greeting}
    Artifacts:
      - URI: s3://bucket/com.example.Yaml/2.0.0/app.zip
        Unarchive: ZIP
"""


def test_create_json_and_yaml_recipes_describe_get_and_list(gg):
    created = gg.create_component_version(inlineRecipe=recipe("com.example.Json", "1.0.0", {"a": 1}), tags={"team": "edge"})
    assert created["arn"] == f"arn:aws:greengrass:us-east-1:{ACCOUNT}:components:com.example.Json:versions:1.0.0"
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["status"]["componentState"] == "REQUESTED"

    yaml_arn = gg.create_component_version(inlineRecipe=YAML_RECIPE)["arn"]
    assert yaml_arn.endswith(":components:com.example.Yaml:versions:2.0.0")

    # REQUESTED → INITIATED → DEPLOYABLE
    states = set()
    wait_for(lambda: states.add(gg.describe_component(arn=yaml_arn)["status"]["componentState"]) or "DEPLOYABLE" in states, what="DEPLOYABLE")
    assert states <= {"REQUESTED", "INITIATED", "DEPLOYABLE"}

    described = gg.describe_component(arn=created["arn"])
    assert described["componentName"] == "com.example.Json"
    assert described["componentVersion"] == "1.0.0"
    assert described["publisher"] == "aic"
    assert described["platforms"] == [{"attributes": {"os": "linux"}}]
    assert described["tags"] == {"team": "edge"}

    # the YAML recipe comes back as JSON or YAML, normalised as the service stores it
    as_json = json.loads(gg.get_component(arn=yaml_arn, recipeOutputFormat="JSON")["recipe"])
    assert as_json["RecipeFormatVersion"] == "2020-01-25"  # an unquoted YAML date stays a string
    assert as_json["ComponentType"] == "aws.greengrass.generic"
    assert as_json["ComponentConfiguration"]["DefaultConfiguration"] == {"port": 8080, "greeting": "hello"}
    assert as_json["Manifests"][0]["Artifacts"][0] == {
        "URI": "s3://bucket/com.example.Yaml/2.0.0/app.zip", "Unarchive": "ZIP",
        "Permission": {"Read": "OWNER", "Execute": "NONE"},
    }
    got_yaml = gg.get_component(arn=yaml_arn, recipeOutputFormat="YAML")
    assert got_yaml["recipeOutputFormat"] == "YAML"
    assert yaml.safe_load(got_yaml["recipe"]) == as_json
    assert json.loads(gg.get_component(arn=created["arn"])["recipe"])["ComponentName"] == "com.example.Json"

    gg.create_component_version(inlineRecipe=recipe("com.example.Json", "1.10.0"))
    gg.create_component_version(inlineRecipe=recipe("com.example.Json", "1.2.0"))
    components = {c["componentName"]: c for c in gg.list_components()["components"]}
    assert set(components) == {"com.example.Json", "com.example.Yaml"}
    assert components["com.example.Json"]["arn"] == f"arn:aws:greengrass:us-east-1:{ACCOUNT}:components:com.example.Json"
    assert components["com.example.Json"]["latestVersion"]["componentVersion"] == "1.10.0"  # semantic, not lexical
    versions = gg.list_component_versions(arn=components["com.example.Json"]["arn"])["componentVersions"]
    assert [v["componentVersion"] for v in versions] == ["1.10.0", "1.2.0", "1.0.0"]
    assert gg.list_components(scope="PUBLIC")["components"] == []


def test_duplicate_version_is_a_conflict(gg):
    gg.create_component_version(inlineRecipe=recipe("com.example.Dup", "1.0.0"))
    with pytest.raises(ClientError) as err:
        gg.create_component_version(inlineRecipe=recipe("com.example.Dup", "1.0.0", {"changed": True}))
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert err.value.response["resourceId"].endswith(":components:com.example.Dup:versions:1.0.0")
    assert "already exists" in err.value.response["Error"]["Message"]


def test_client_token_makes_creation_idempotent(gg):
    first = gg.create_component_version(inlineRecipe=recipe("com.example.Token", "1.0.0"), clientToken="abc-123")
    again = gg.create_component_version(inlineRecipe=recipe("com.example.Token", "1.0.0"), clientToken="abc-123")
    assert again["arn"] == first["arn"]
    assert again["creationTimestamp"] == first["creationTimestamp"]


@pytest.mark.parametrize(
    "raw, field",
    [
        (recipe("com.example.Bad", "1.0"), "inlineRecipe.ComponentVersion"),
        (recipe("com.example.Bad", "1.0.0-"), "inlineRecipe.ComponentVersion"),
        (recipe("com.example.Bad", "1000000.0.0"), "inlineRecipe.ComponentVersion"),
        (recipe("com example", "1.0.0"), "inlineRecipe.ComponentName"),
        (recipe("com.example.Bad", "1.0.0", RecipeFormatVersion="2021-01-01"), "inlineRecipe.RecipeFormatVersion"),
        (json.dumps({"RecipeFormatVersion": "2020-01-25", "ComponentName": "a", "ComponentVersion": "1.0.0"}).encode(), "inlineRecipe.Manifests"),
        (recipe("com.example.Bad", "1.0.0", ComponentLifecycle={}), "inlineRecipe.ComponentLifecycle"),
        (recipe("com.example.Bad", "1.0.0", Manifests=[{"Artifacts": [{"Unarchive": "ZIP"}]}]), "inlineRecipe.Manifests[0].Artifacts[0].URI"),
        (recipe("com.example.Bad", "1.0.0", ComponentDependencies={"x": {"VersionRequirement": ">=banana"}}),
         "inlineRecipe.ComponentDependencies.x.VersionRequirement"),
    ],
)
def test_invalid_recipes_are_validation_errors(gg, raw, field):
    with pytest.raises(ClientError) as err:
        gg.create_component_version(inlineRecipe=raw)
    response = err.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert [f["name"] for f in response["fields"]] == [field]


def test_the_first_byte_chooses_the_parser(gg):
    flow = b'{RecipeFormatVersion: 2020-01-25, ComponentName: com.example.Flow, ComponentVersion: 1.0.0, Manifests: []}'
    with pytest.raises(ClientError) as err:
        gg.create_component_version(inlineRecipe=flow)  # '{' → JSON, and this is not JSON
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["reason"] == "CANNOT_PARSE"
    created = gg.create_component_version(inlineRecipe=b" " + flow)  # a space first → YAML, which reads it
    assert created["componentName"] == "com.example.Flow"
    # case-insensitive field names, as the service's Jackson mappers read them
    lower = gg.create_component_version(inlineRecipe=b"recipeformatversion: '2020-01-25'\ncomponentname: com.example.Lower\ncomponentversion: 1.0.0\nmanifests: []\n")
    assert lower["componentName"] == "com.example.Lower"
    assert "RecipeFormatVersion" in json.loads(gg.get_component(arn=lower["arn"])["recipe"])


def test_missing_component_is_resource_not_found(gg):
    arn = f"arn:aws:greengrass:us-east-1:{ACCOUNT}:components:com.example.Missing:versions:1.0.0"
    for call in (lambda: gg.describe_component(arn=arn), lambda: gg.get_component(arn=arn), lambda: gg.delete_component(arn=arn),
                 lambda: gg.list_component_versions(arn=arn.rsplit(":versions:", 1)[0])):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert err.value.response["resourceType"] in ("ComponentVersion", "Component")
    with pytest.raises(ClientError) as err:
        gg.describe_component(arn="arn:aws:iot:us-east-1:123456789012:thing/x")
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_delete_component_version(gg):
    arn = publish(gg, "com.example.Gone", "1.0.0")
    other = publish(gg, "com.example.Gone", "1.1.0")
    assert gg.delete_component(arn=arn)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as err:
        gg.describe_component(arn=arn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert [v["componentVersion"] for v in gg.list_component_versions(arn=arn.rsplit(":versions:", 1)[0])["componentVersions"]] == ["1.1.0"]
    gg.delete_component(arn=other)
    assert gg.list_components()["components"] == []


def test_unreachable_and_failing_artifacts(gg, control):
    control("POST", "settings", {"unreachable_artifacts": ["s3://private-bucket/"], "failing_artifacts": ["s3://flaky/"]})
    art = lambda uri: [{"Platform": {"os": "linux"}, "Artifacts": [{"URI": uri}]}]  # noqa: E731
    with pytest.raises(ClientError) as err:
        gg.create_component_version(inlineRecipe=recipe("com.example.Art", "1.0.0", Manifests=art("s3://private-bucket/a.zip")))
    assert "Specified artifact resource cannot be accessed" in err.value.response["Error"]["Message"]
    arn = gg.create_component_version(inlineRecipe=recipe("com.example.Art", "1.0.0", Manifests=art("s3://flaky/a.zip")))["arn"]
    status = wait_for(lambda: (s := gg.describe_component(arn=arn)["status"])["componentState"] == "FAILED" and s, what="FAILED")
    assert status["errors"] == {"s3://flaky/a.zip": "Specified artifact resource cannot be accessed"}


def test_tags(gg):
    arn = gg.create_component_version(inlineRecipe=recipe("com.example.Tags", "1.0.0"), tags={"a": "1"})["arn"]
    gg.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert gg.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    gg.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert gg.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as err:
        gg.list_tags_for_resource(resourceArn=f"arn:aws:greengrass:us-east-1:{ACCOUNT}:deployments:nope")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
