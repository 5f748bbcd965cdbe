"""Helpers shared by the Greengrass emulator's tests: recipes, a fleet in moto, polling."""

from __future__ import annotations

import json
import time
from typing import Any, Callable


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy; fail with the last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def recipe(name: str, version: str, defaults: dict[str, Any] | None = None, **extra: Any) -> bytes:
    doc: dict[str, Any] = {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": name,
        "ComponentVersion": version,
        "ComponentDescription": f"{name} for the emulator's tests",
        "ComponentPublisher": "aic",
        "ComponentConfiguration": {"DefaultConfiguration": defaults or {}},
        "Manifests": [{"Platform": {"os": "linux"}, "Lifecycle": {"Run": "python3 -m http.server"}}],
    }
    doc.update(extra)
    return json.dumps(doc).encode()


def publish(gg: Any, name: str, version: str, defaults: dict[str, Any] | None = None, **extra: Any) -> str:
    """Create a component version and wait until it is DEPLOYABLE; returns its ARN."""
    arn = gg.create_component_version(inlineRecipe=recipe(name, version, defaults, **extra))["arn"]
    wait_for(lambda: gg.describe_component(arn=arn)["status"]["componentState"] == "DEPLOYABLE", what=f"{name} {version} DEPLOYABLE")
    return arn


def fleet(iot: Any, control: Any, group: str, things: list[str], register: bool = True) -> str:
    """A thing group in moto holding ``things`` (created there), registered as core devices in
    the emulator; returns the group's ARN."""
    arn = iot.create_thing_group(thingGroupName=group)["thingGroupArn"]
    for thing in things:
        iot.create_thing(thingName=thing)
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=thing)
    if register:
        control("POST", "devices", [{"thingName": t} for t in things])
    return arn


def latest_status(gg: Any, thing: str, deployment_id: str) -> str | None:
    for eff in gg.list_effective_deployments(coreDeviceThingName=thing)["effectiveDeployments"]:
        if eff["deploymentId"] == deployment_id:
            return eff["coreDeviceExecutionStatus"]
    return None


def installed(gg: Any, thing: str) -> dict[str, str]:
    return {c["componentName"]: c["componentVersion"] for c in gg.list_installed_components(coreDeviceThingName=thing)["installedComponents"]}
