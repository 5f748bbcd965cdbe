"""Greengrass V2 component recipes, versions and configuration updates, as the service reads them.

Sources (each rule below names the one it follows):

* [component-common] AWS's recipe library shared by the cloud service and the nucleus,
  github.com/aws-greengrass/aws-greengrass-component-common: ``ComponentRecipe.java`` (name
  pattern ``^[a-zA-Z0-9-_.]+$``, at most 128 characters; version a strict semantic version of at
  most 64 characters whose major/minor/patch are at most 999999), ``SerializerFactory.java``
  (property names are case-insensitive; JSON and YAML mappers), ``RecipeFormatVersion.java``
  (only ``2020-01-25``), ``ComponentType.java``, ``DependencyProperties.java`` (NPM-style version
  requirements, ``DependencyType`` HARD by default), ``ComponentArtifact.java`` /
  ``Permission.java`` / ``Unarchive.java`` (defaults ``Unarchive: NONE``,
  ``Permission: {Read: OWNER, Execute: NONE}``) and ``src/main/resources/recipe/recipe_schema.json``
  (``RecipeFormatVersion``, ``ComponentName``, ``ComponentVersion`` and ``Manifests`` required; no
  other top-level keys).
* [recipe-reference] developer guide, "AWS IoT Greengrass component recipe reference".
* [config-update] developer guide, "Update component configurations": reset runs before merge;
  reset paths are JSON pointers (RFC 6901); a reset path with no default removes the value;
  merge is a patch (objects merge key by key, anything else replaces).
* The parser is chosen by the recipe's first byte: ``{`` is parsed as JSON, anything else as
  YAML (the behaviour users of the Cloud Control provider report, issue 16; consistent with the
  service using the two Jackson mappers above). YAML is read without the YAML 1.1 timestamp
  rule, so an unquoted ``RecipeFormatVersion: 2020-01-25`` stays a string, as Jackson reads it.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml

RECIPE_FORMAT_VERSION = "2020-01-25"
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9\-_.]+$")
COMPONENT_TYPES = ("aws.greengrass.generic", "aws.greengrass.lambda", "aws.greengrass.plugin", "aws.greengrass.nucleus")
LAMBDA_SOURCE = re.compile(r"^arn:aws(-(cn|us-gov|iso(-[a-z])?))?:lambda:.*$")

# Top-level keys, compared case-insensitively [component-common SerializerFactory], in the order
# the service writes them back.
TOP_KEYS = [
    "RecipeFormatVersion",
    "ComponentName",
    "ComponentVersion",
    "ComponentType",
    "ComponentDescription",
    "ComponentPublisher",
    "ComponentSource",
    "ComponentConfiguration",
    "ComponentDependencies",
    "Manifests",
    "Lifecycle",
]
MANIFEST_KEYS = ["Name", "Platform", "Lifecycle", "Selections", "Artifacts"]
ARTIFACT_KEYS = ["URI", "Digest", "Algorithm", "Unarchive", "Permission"]
PERMISSION_VALUES = ("NONE", "OWNER", "ALL")


class RecipeError(Exception):
    """A recipe the service refuses: becomes a ValidationException."""

    def __init__(self, message: str, field: str | None = None, reason: str = "FIELD_VALIDATION_FAILED"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason


# ----- parsing ----------------------------------------------------------------------------------

class _YamlLoader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp rule (dates stay strings, as Jackson reads them)."""


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON number {name}")


def parse(raw: bytes) -> tuple[dict[str, Any], str]:
    """The recipe document and the format it was read as (``JSON`` or ``YAML``)."""
    if not raw:
        raise RecipeError("The recipe is empty.", "inlineRecipe", "CANNOT_PARSE")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecipeError(f"The recipe is not UTF-8: {exc}", "inlineRecipe", "CANNOT_PARSE") from exc
    if raw[:1] == b"{":
        fmt = "JSON"
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise RecipeError(
                f"The recipe starts with '{{' and is read as JSON, but it is not valid JSON: {exc}",
                "inlineRecipe",
                "CANNOT_PARSE",
            ) from exc
    else:
        fmt = "YAML"
        try:
            doc = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise RecipeError(f"The recipe is read as YAML and is not valid YAML: {exc}", "inlineRecipe", "CANNOT_PARSE") from exc
    if not isinstance(doc, dict):
        raise RecipeError("The recipe must be a JSON or YAML object (mapping).", "inlineRecipe", "CANNOT_PARSE")
    return doc, fmt


def serialize(recipe: dict[str, Any], fmt: str) -> bytes:
    """The recipe written as JSON or YAML (GetComponent's ``recipeOutputFormat``)."""
    if fmt == "YAML":
        return yaml.safe_dump(recipe, sort_keys=False, default_flow_style=False, allow_unicode=True).encode()
    return json.dumps(recipe, indent=2, ensure_ascii=False).encode()


# ----- validation and normalisation -------------------------------------------------------------

def _canonical_keys(obj: dict[str, Any], allowed: list[str], where: str) -> dict[str, Any]:
    """Map case-insensitive keys to their canonical spelling; unknown keys are refused
    (Jackson's default FAIL_ON_UNKNOWN_PROPERTIES; recipe_schema.json additionalProperties false)."""
    lookup = {k.lower(): k for k in allowed}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        canonical = lookup.get(str(key).lower())
        if canonical is None:
            raise RecipeError(f'Unrecognized field "{key}" in {where}; known fields: {", ".join(allowed)}.',
                              str(key) if where == "recipe" else f"{where}.{key}")
        out[canonical] = value
    return out


def _scalar_text(value: Any, field: str) -> str:
    """A string field; YAML/JSON numbers are read as their text, as Jackson coerces scalars."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise RecipeError(f"{field} must be a string.", field)
    if isinstance(value, (int, float)):
        return str(value)
    return str(value)


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """Validate a parsed recipe and return it as the service stores it: canonical key spelling,
    ``ComponentType`` defaulted, artifact defaults filled in."""
    top = _canonical_keys(doc, TOP_KEYS, "recipe")
    for required in ("RecipeFormatVersion", "ComponentName", "ComponentVersion", "Manifests"):
        if top.get(required) is None:
            raise RecipeError(f"The recipe is missing the required field {required}.", required)

    out: dict[str, Any] = {}
    fmt = _scalar_text(top["RecipeFormatVersion"], "RecipeFormatVersion")
    if fmt != RECIPE_FORMAT_VERSION:
        raise RecipeError(f"RecipeFormatVersion must be {RECIPE_FORMAT_VERSION}, not {fmt!r}.", "RecipeFormatVersion")
    out["RecipeFormatVersion"] = fmt

    name = _scalar_text(top["ComponentName"], "ComponentName")
    check_component_name(name, "ComponentName")
    out["ComponentName"] = name

    version = _scalar_text(top["ComponentVersion"], "ComponentVersion")
    check_version(version, "ComponentVersion")
    out["ComponentVersion"] = version

    ctype = _scalar_text(top.get("ComponentType", "aws.greengrass.generic"), "ComponentType")
    if ctype not in COMPONENT_TYPES:
        raise RecipeError(f"ComponentType must be one of {', '.join(COMPONENT_TYPES)}.", "ComponentType")
    out["ComponentType"] = ctype

    for key in ("ComponentDescription", "ComponentPublisher"):
        if top.get(key) is not None:
            out[key] = _scalar_text(top[key], key)
    if top.get("ComponentSource") is not None:
        source = _scalar_text(top["ComponentSource"], "ComponentSource")
        if not LAMBDA_SOURCE.match(source):
            raise RecipeError("ComponentSource must be the ARN of a Lambda function.", "ComponentSource")
        out["ComponentSource"] = source

    if top.get("ComponentConfiguration") is not None:
        conf = top["ComponentConfiguration"]
        if not isinstance(conf, dict):
            raise RecipeError("ComponentConfiguration must be an object.", "ComponentConfiguration")
        conf = _canonical_keys(conf, ["DefaultConfiguration"], "ComponentConfiguration")
        default = conf.get("DefaultConfiguration")
        if default is not None and not isinstance(default, dict):
            raise RecipeError("ComponentConfiguration.DefaultConfiguration must be an object.", "ComponentConfiguration.DefaultConfiguration")
        out["ComponentConfiguration"] = {"DefaultConfiguration": default if default is not None else {}}

    if top.get("ComponentDependencies") is not None:
        deps = top["ComponentDependencies"]
        if not isinstance(deps, dict):
            raise RecipeError("ComponentDependencies must be an object.", "ComponentDependencies")
        out_deps: dict[str, Any] = {}
        for dep_name, props in deps.items():
            where = f"ComponentDependencies.{dep_name}"
            check_component_name(str(dep_name), where)
            if not isinstance(props, dict):
                raise RecipeError(f"{where} must be an object.", where)
            lower = {str(k).lower(): v for k, v in props.items()}
            if lower.get("versionrequirement") is None:
                raise RecipeError(f"{where}.VersionRequirement is required.", f"{where}.VersionRequirement")
            requirement = _scalar_text(lower["versionrequirement"], f"{where}.VersionRequirement")
            try:
                parse_requirement(requirement)
            except ValueError as exc:
                raise RecipeError(f"{where}.VersionRequirement is not a valid version requirement: {exc}", f"{where}.VersionRequirement") from exc
            dtype = _scalar_text(lower.get("dependencytype", "HARD"), f"{where}.DependencyType").upper()
            if dtype not in ("HARD", "SOFT"):
                raise RecipeError(f"{where}.DependencyType must be HARD or SOFT.", f"{where}.DependencyType")
            out_deps[str(dep_name)] = {"VersionRequirement": requirement, "DependencyType": dtype}
        out["ComponentDependencies"] = out_deps

    manifests = top["Manifests"]
    if not isinstance(manifests, list):
        raise RecipeError("Manifests must be a list.", "Manifests")
    out["Manifests"] = [_normalize_manifest(m, i) for i, m in enumerate(manifests)]

    if top.get("Lifecycle") is not None:
        if not isinstance(top["Lifecycle"], dict):
            raise RecipeError("Lifecycle must be an object.", "Lifecycle")
        out["Lifecycle"] = top["Lifecycle"]
    return out


def _normalize_manifest(manifest: Any, index: int) -> dict[str, Any]:
    where = f"Manifests[{index}]"
    if not isinstance(manifest, dict):
        # ComponentRecipeBuilder.manifests: "Manifests contains one or more null element(s)"
        raise RecipeError(f"{where} must be an object.", where)
    m = _canonical_keys(manifest, MANIFEST_KEYS, where)
    out: dict[str, Any] = {}
    if m.get("Name") is not None:
        out["Name"] = _scalar_text(m["Name"], f"{where}.Name")
    if m.get("Platform") is not None:
        platform = m["Platform"]
        if not isinstance(platform, dict):
            raise RecipeError(f"{where}.Platform must be an object.", f"{where}.Platform")
        out["Platform"] = {str(k): _scalar_text(v, f"{where}.Platform.{k}") for k, v in platform.items()}
    if m.get("Lifecycle") is not None:
        if not isinstance(m["Lifecycle"], dict):
            raise RecipeError(f"{where}.Lifecycle must be an object.", f"{where}.Lifecycle")
        out["Lifecycle"] = m["Lifecycle"]
    if m.get("Selections") is not None:
        sel = m["Selections"]
        if not isinstance(sel, list) or not all(isinstance(s, str) for s in sel):
            raise RecipeError(f"{where}.Selections must be a list of strings.", f"{where}.Selections")
        out["Selections"] = sel
    artifacts = m.get("Artifacts")
    if artifacts is not None:
        if not isinstance(artifacts, list):
            raise RecipeError(f"{where}.Artifacts must be a list.", f"{where}.Artifacts")
        out["Artifacts"] = [_normalize_artifact(a, f"{where}.Artifacts[{j}]") for j, a in enumerate(artifacts)]
    return out


def _normalize_artifact(artifact: Any, where: str) -> dict[str, Any]:
    if not isinstance(artifact, dict):
        raise RecipeError(f"{where} must be an object.", where)
    a = _canonical_keys(artifact, ARTIFACT_KEYS, where)
    if a.get("URI") is None:
        raise RecipeError(f"{where}.URI is required.", f"{where}.URI")
    uri = _scalar_text(a["URI"], f"{where}.URI")
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$", uri):
        raise RecipeError(f"{where}.URI must be a URI with a scheme (s3://, docker:, greengrass:), not {uri!r}.", f"{where}.URI")
    if uri.lower().startswith("s3:") and not re.match(r"^s3://[^/]+/.+$", uri, re.IGNORECASE):
        raise RecipeError(f"{where}.URI must name a bucket and a key: s3://bucket/key.", f"{where}.URI")
    out: dict[str, Any] = {"URI": uri}
    for key in ("Digest", "Algorithm"):
        if a.get(key) is not None:
            out[key] = _scalar_text(a[key], f"{where}.{key}")
    unarchive = _scalar_text(a.get("Unarchive", "NONE"), f"{where}.Unarchive").upper()
    if unarchive not in ("NONE", "ZIP"):
        raise RecipeError(f"{where}.Unarchive must be NONE or ZIP.", f"{where}.Unarchive")
    out["Unarchive"] = unarchive
    perm = a.get("Permission") or {}
    if not isinstance(perm, dict):
        raise RecipeError(f"{where}.Permission must be an object.", f"{where}.Permission")
    perm = _canonical_keys(perm, ["Read", "Execute"], f"{where}.Permission")
    read = _scalar_text(perm.get("Read", "OWNER"), f"{where}.Permission.Read").upper()
    execute = _scalar_text(perm.get("Execute", "NONE"), f"{where}.Permission.Execute").upper()
    for key, value in (("Read", read), ("Execute", execute)):
        if value not in PERMISSION_VALUES:
            raise RecipeError(f"{where}.Permission.{key} must be one of NONE, OWNER, ALL.", f"{where}.Permission.{key}")
    out["Permission"] = {"Read": read, "Execute": execute}
    return out


def check_component_name(name: str, field: str) -> None:
    if not name:
        raise RecipeError(f"{field}: component name is empty.", field)
    if len(name) > 128:
        raise RecipeError(f"{field}: component name length exceeds 128 characters.", field)
    if not NAME_PATTERN.match(name):
        raise RecipeError(f'{field}: component name could only include characters of ALPHA/DIGIT/"-"/"."/"_".', field)


# ----- semantic versions ------------------------------------------------------------------------

SEMVER = re.compile(
    r"^(\d+)\.(\d+)\.(\d+)"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?$"
)


def check_version(version: str, field: str) -> None:
    """A strict semantic version (semver4j STRICT, as component-common uses) with the service's limits."""
    if len(version) > 64:
        raise RecipeError(f"{field}: component version length exceeds 64 characters.", field)
    m = SEMVER.match(version)
    if not m:
        raise RecipeError(f"{field}: {version!r} is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].", field)
    if any(int(part) > 999999 for part in m.group(1, 2, 3)):
        raise RecipeError(f"{field}: component version major, minor, patch can't exceed 6 digits.", field)


def version_key(version: str) -> tuple[Any, ...]:
    """Sort key with semantic-version precedence (a pre-release sorts before its release)."""
    m = SEMVER.match(version)
    if not m:
        return (-1, -1, -1, 0, ())
    major, minor, patch = (int(x) for x in m.group(1, 2, 3))
    pre = m.group(4)
    if pre is None:
        return (major, minor, patch, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, parts)


def _partial(text: str) -> tuple[list[int | None], str | None]:
    """``1``, ``1.2``, ``1.x``, ``1.2.3-beta`` → parts with None for wildcards, and a pre-release."""
    text = text.strip().lstrip("vV=")
    if text in ("", "*", "x", "X"):
        return [None, None, None], None
    m = re.match(r"^(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z\-.]+))?(?:\+[0-9A-Za-z\-.]+)?$", text)
    if not m:
        raise ValueError(f"{text!r} is not a version")
    parts: list[int | None] = []
    for g in m.group(1, 2, 3):
        parts.append(None if g is None or g in ("x", "X", "*") else int(g))
    # once a part is a wildcard, the rest are too
    for i in range(3):
        if parts[i] is None:
            for j in range(i, 3):
                parts[j] = None
            break
    return parts, m.group(4)


def _fmt(parts: list[int], pre: str | None = None) -> str:
    return "%d.%d.%d" % tuple(parts) + (f"-{pre}" if pre else "")


def _comparators(token_list: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for token in token_list:
        m = re.match(r"^(\^|~>?|>=|<=|>|<|=)?\s*(.*)$", token)
        assert m is not None
        op, rest = m.group(1) or "", m.group(2)
        parts, pre = _partial(rest)
        major, minor, patch = parts
        if op in ("", "="):
            if major is None:
                continue  # any
            if minor is None:
                out += [(">=", _fmt([major, 0, 0])), ("<", _fmt([major + 1, 0, 0]) + "-0")]
            elif patch is None:
                out += [(">=", _fmt([major, minor, 0])), ("<", _fmt([major, minor + 1, 0]) + "-0")]
            else:
                out.append(("=", _fmt([major, minor, patch], pre)))
        elif op == "^":
            if major is None:
                continue
            lo = _fmt([major, minor or 0, patch or 0], pre)
            if major > 0 or minor is None:
                hi = _fmt([major + 1, 0, 0])
            elif minor > 0 or patch is None:
                hi = _fmt([0, minor + 1, 0])
            else:
                hi = _fmt([0, 0, (patch or 0) + 1])
            out += [(">=", lo), ("<", hi + "-0")]
        elif op.startswith("~"):
            if major is None:
                continue
            lo = _fmt([major, minor or 0, patch or 0], pre)
            hi = _fmt([major + 1, 0, 0]) if minor is None else _fmt([major, minor + 1, 0])
            out += [(">=", lo), ("<", hi + "-0")]
        else:  # >, >=, <, <= with possibly partial versions
            if major is None:
                if op in ("<", ">"):
                    out.append(("<", "0.0.0-0"))  # nothing matches
                continue
            filled = [major, minor or 0, patch or 0]
            if op == ">" and (minor is None or patch is None):
                bump = [major + 1, 0, 0] if minor is None else [major, minor + 1, 0]
                out.append((">=", _fmt(bump)))
            elif op == "<=" and (minor is None or patch is None):
                bump = [major + 1, 0, 0] if minor is None else [major, minor + 1, 0]
                out.append(("<", _fmt(bump) + "-0"))
            else:
                out.append((op, _fmt(filled, pre)))
    return out


def parse_requirement(text: str) -> list[list[tuple[str, str]]]:
    """An NPM-style requirement (semver4j ``Requirement.buildNPM``) as alternatives of comparator
    lists: ``>=1.0.0 <2.0.0``, ``^1.2``, ``~1.2.3``, ``1.x``, ``1.2.3 - 2.0.0``, ``a || b``, ``*``."""
    alternatives = []
    for alt in text.split("||"):
        alt = alt.strip()
        hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", alt)
        if hyphen:
            lo_parts, lo_pre = _partial(hyphen.group(1))
            hi_parts, hi_pre = _partial(hyphen.group(2))
            comps = [(">=", _fmt([p or 0 for p in lo_parts], lo_pre))]
            if hi_parts[0] is not None:
                comps += _comparators(["<=" + hyphen.group(2)])
            alternatives.append(comps)
            continue
        tokens = re.findall(r"(?:\^|~>?|>=|<=|>|<|=)?\s*[^\s]+", alt) if alt else []
        alternatives.append(_comparators([t.replace(" ", "") for t in tokens]))
    return alternatives


def satisfies(version: str, requirement: str) -> bool:
    try:
        alternatives = parse_requirement(requirement)
    except ValueError:
        return False
    key = version_key(version)
    for comps in alternatives:
        ok = True
        for op, bound in comps:
            b = version_key(bound)
            if op == "=" and not key == b:
                ok = False
            elif op == ">=" and not key >= b:
                ok = False
            elif op == ">" and not key > b:
                ok = False
            elif op == "<" and not key < b:
                ok = False
            elif op == "<=" and not key <= b:
                ok = False
            if not ok:
                break
        if ok:
            return True
    return False


# ----- platforms and lifecycles -----------------------------------------------------------------

_ANY = ("*", "all", "any", "")


def manifest_for(recipe: dict[str, Any], platform: dict[str, str]) -> dict[str, Any] | None:
    """The first manifest whose Platform the device meets [recipe-reference]; a manifest without
    Platform matches every device. None when no manifest matches (an empty list matches)."""
    manifests = recipe.get("Manifests") or []
    if not manifests:
        return {}
    for manifest in manifests:
        wanted = manifest.get("Platform") or {}
        if all(str(v).lower() in _ANY or platform.get(k, "").lower() == str(v).lower() for k, v in wanted.items()):
            return manifest
    return None


def runs_continuously(recipe: dict[str, Any] | None, manifest: dict[str, Any] | None) -> bool:
    """Whether the selected lifecycle has a Run or Startup step (RUNNING), or not (FINISHED)."""
    if recipe is None:
        return True
    lifecycles = []
    if manifest and manifest.get("Lifecycle"):
        lifecycles.append(manifest["Lifecycle"])
    elif recipe.get("Lifecycle"):
        lifecycles.append(recipe["Lifecycle"])
    for lifecycle in lifecycles:
        if any(str(k).lower() in ("run", "startup") for k in lifecycle):
            return True
    return False


def default_configuration(recipe: dict[str, Any] | None) -> dict[str, Any]:
    if not recipe:
        return {}
    return copy.deepcopy((recipe.get("ComponentConfiguration") or {}).get("DefaultConfiguration") or {})


# ----- configuration updates [config-update] ----------------------------------------------------

def parse_pointer(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def _get(doc: Any, path: list[str]) -> tuple[bool, Any]:
    node = doc
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def _set(doc: Any, path: list[str], value: Any) -> None:
    node = doc
    for part in path[:-1]:
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return
    last = path[-1]
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value


def _remove(doc: Any, path: list[str]) -> None:
    found, parent = _get(doc, path[:-1])
    if not found:
        return
    last = path[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]


def reset(config: dict[str, Any], defaults: dict[str, Any], pointers: list[str]) -> dict[str, Any]:
    """Reset each pointer to its default, or remove it when it has none; ``""`` resets all."""
    config = copy.deepcopy(config)
    for pointer in pointers:
        path = parse_pointer(pointer)
        if not path:
            config = copy.deepcopy(defaults)
            continue
        found, value = _get(defaults, path)
        if found:
            _set(config, path, copy.deepcopy(value))
        else:
            _remove(config, path)
    return config


def merge(config: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Objects merge key by key; any other value (lists included) replaces."""
    out = copy.deepcopy(config)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def fill_missing(config: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Keys a new version's default configuration adds, without touching existing values."""
    out = copy.deepcopy(config)
    for key, value in defaults.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = fill_missing(out[key], value)
    return out
