"""The part of ``google.container.v1`` (and ``google.rpc``) that the GKE emulator models, as a
field table, and the proto3 JSON mapping over it.

Source: ``google/container/v1/cluster_service.proto`` and ``google/rpc/{status,code}.proto`` in
github.com/googleapis/googleapis (read at commit f8291d2b, 2026-08). The mapping follows
https://protobuf.dev/programming-guides/json/ : JSON names are lowerCamelCase (parsers also
accept the proto field name), 64-bit integers are strings (parsers accept numbers too), 32-bit
integers are numbers (parsers accept numeric strings), enums are value names (parsers accept
numbers; Google's front end answers with numbers when the query has
``$alt=json;enum-encoding=int``, which both the Python and the Rust client send), fields with
default values are left out of answers, ``google.protobuf.Duration``/``Timestamp`` are strings.

Table format, one entry per message, fields separated by spaces, each ``jsonName:TYPE``:
``s`` string, ``b`` bool, ``i32`` 32-bit integer, ``i64``/``u64`` 64-bit integer, ``f`` float or
double, ``by`` bytes, ``e:ENUM``, ``m:MESSAGE`` (a message modelled here), ``*`` (a message this
emulator does not model: kept as the client sent it). A prefix ``[`` is a repeated field, ``{``
a ``map<string, …>``, ``?`` a proto3 ``optional`` field (kept in answers even when default).
"""

from __future__ import annotations

import re
from typing import Any

MESSAGES = {
    "Cluster": (
        "name:s description:s initialNodeCount:i32 nodeConfig:m:NodeConfig "
        "masterAuth:m:MasterAuth loggingService:s monitoringService:s network:s clusterIpv4Cidr:s "
        "addonsConfig:m:AddonsConfig subnetwork:s nodePools:[m:NodePool locations:[s "
        "enableKubernetesAlpha:b alphaClusterFeatureGates:[s resourceLabels:{s labelFingerprint:s "
        "legacyAbac:m:LegacyAbac networkPolicy:m:NetworkPolicy "
        "ipAllocationPolicy:m:IPAllocationPolicy masterAuthorizedNetworksConfig:* "
        "maintenancePolicy:* binaryAuthorization:* autoscaling:* networkConfig:m:NetworkConfig "
        "defaultMaxPodsConstraint:m:MaxPodsConstraint resourceUsageExportConfig:* "
        "authenticatorGroupsConfig:* privateClusterConfig:m:PrivateClusterConfig "
        "databaseEncryption:* verticalPodAutoscaling:* shieldedNodes:* "
        "releaseChannel:m:ReleaseChannel workloadIdentityConfig:* meshCertificates:* "
        "costManagementConfig:* notificationConfig:* confidentialNodes:* identityServiceConfig:* "
        "selfLink:s zone:s endpoint:s initialClusterVersion:s currentMasterVersion:s "
        "currentEmulatedVersion:s rollbackSafeUpgrade:* currentNodeVersion:s createTime:s "
        "status:e:Cluster.Status statusMessage:s nodeIpv4CidrSize:i32 servicesIpv4Cidr:s "
        "instanceGroupUrls:[s currentNodeCount:i32 expireTime:s location:s enableTpu:b "
        "tpuIpv4CidrBlock:s conditions:[m:StatusCondition autopilot:* id:s nodePoolDefaults:?* "
        "loggingConfig:* monitoringConfig:* nodePoolAutoConfig:* podAutoscaling:* etag:s fleet:* "
        "securityPostureConfig:* controlPlaneEndpointsConfig:* enableK8sBetaApis:* "
        "enterpriseConfig:* secretManagerConfig:* compliancePostureConfig:* satisfiesPzs:?b "
        "satisfiesPzi:?b userManagedKeysConfig:?* rbacBindingConfig:?* gkeAutoUpgradeConfig:* "
        "anonymousAuthenticationConfig:* scheduleUpgradeConfig:* secretSyncConfig:* "
        "managedOpentelemetryConfig:* controlPlaneEgress:* "
        "managedMachineLearningDiagnosticsConfig:* nodeCreationConfig:* "
    ),
    "NodeConfig": (
        "machineType:s diskSizeGb:i32 oauthScopes:[s serviceAccount:s metadata:{s imageType:s "
        "nodeImageConfig:* labels:{s localSsdCount:i32 tags:[s preemptible:b "
        "accelerators:[m:AcceleratorConfig diskType:s minCpuPlatform:s "
        "workloadMetadataConfig:m:WorkloadMetadataConfig taints:[m:NodeTaint sandboxConfig:* "
        "nodeGroup:s reservationAffinity:* shieldedInstanceConfig:m:ShieldedInstanceConfig "
        "linuxNodeConfig:* kubeletConfig:* bootDiskKmsKey:s gcfsConfig:* "
        "advancedMachineFeatures:* gvnic:* spot:b confidentialNodes:* fastSocket:?* "
        "resourceLabels:{s loggingConfig:* windowsNodeConfig:* localNvmeSsdBlockConfig:* "
        "ephemeralStorageLocalSsdConfig:* soleTenantConfig:* containerdConfig:* "
        "resourceManagerTags:* enableConfidentialStorage:b secondaryBootDisks:[* storagePools:[s "
        "secondaryBootDiskUpdateStrategy:?* gpuDirectConfig:?* maxRunDuration:s "
        "localSsdEncryptionMode:?e:NodeConfig.LocalSsdEncryptionMode "
        "effectiveCgroupMode:e:NodeConfig.EffectiveCgroupMode flexStart:?b bootDisk:* "
        "consolidationDelay:s taintConfig:?* "
    ),
    "NodePool": (
        "name:s config:m:NodeConfig initialNodeCount:i32 locations:[s "
        "networkConfig:m:NodeNetworkConfig selfLink:s version:s instanceGroupUrls:[s "
        "status:e:NodePool.Status statusMessage:s autoscaling:m:NodePoolAutoscaling "
        "management:m:NodeManagement maxPodsConstraint:m:MaxPodsConstraint "
        "conditions:[m:StatusCondition podIpv4CidrSize:i32 "
        "upgradeSettings:m:NodePool.UpgradeSettings placementPolicy:m:NodePool.PlacementPolicy "
        "updateInfo:* etag:s queuedProvisioning:m:NodePool.QueuedProvisioning "
        "bestEffortProvisioning:* nodeDrainConfig:* maintenancePolicy:* kubeletCertInfo:* "
    ),
    "NodePool.UpgradeSettings": (
        "maxSurge:i32 maxUnavailable:i32 strategy:?e:NodePoolUpdateStrategy "
        "blueGreenSettings:?m:BlueGreenSettings "
    ),
    "NodePoolAutoscaling": (
        "enabled:b minNodeCount:i32 maxNodeCount:i32 autoprovisioned:b "
        "locationPolicy:e:NodePoolAutoscaling.LocationPolicy totalMinNodeCount:i32 "
        "totalMaxNodeCount:i32 "
    ),
    "NodeManagement": (
        "autoUpgrade:b autoRepair:b upgradeOptions:m:AutoUpgradeOptions "
    ),
    "AutoUpgradeOptions": (
        "autoUpgradeStartTime:s description:s "
    ),
    "NodeTaint": (
        "key:s value:s effect:e:NodeTaint.Effect "
    ),
    "NodeTaints": (
        "taints:[m:NodeTaint "
    ),
    "NodeLabels": (
        "labels:{s "
    ),
    "ResourceLabels": (
        "labels:{s "
    ),
    "NetworkTags": (
        "tags:[s "
    ),
    "MasterAuth": (
        "username:s password:s clientCertificateConfig:m:ClientCertificateConfig "
        "clusterCaCertificate:s clientCertificate:s clientKey:s "
    ),
    "ClientCertificateConfig": (
        "issueClientCertificate:b "
    ),
    "ReleaseChannel": (
        "channel:e:ReleaseChannel.Channel "
    ),
    "LegacyAbac": (
        "enabled:b "
    ),
    "StatusCondition": (
        "code:e:StatusCondition.Code message:s canonicalCode:e:Code "
    ),
    "MaxPodsConstraint": (
        "maxPodsPerNode:i64 "
    ),
    "AcceleratorConfig": (
        "acceleratorCount:i64 acceleratorType:s gpuPartitionSize:s gpuSharingConfig:?* "
        "gpuDriverInstallationConfig:?* "
    ),
    "Operation": (
        "name:s zone:s operationType:e:Operation.Type status:e:Operation.Status detail:s "
        "statusMessage:s selfLink:s targetLink:s location:s startTime:s endTime:s "
        "progress:m:OperationProgress clusterConditions:[m:StatusCondition "
        "nodepoolConditions:[m:StatusCondition error:m:Status "
    ),
    "OperationProgress": (
        "name:s status:e:Operation.Status metrics:[m:OperationProgress.Metric "
        "stages:[m:OperationProgress "
    ),
    "OperationProgress.Metric": (
        "name:s intValue:i64 doubleValue:f stringValue:s "
    ),
    "ServerConfig": (
        "defaultClusterVersion:s validNodeVersions:[s defaultImageType:s validImageTypes:[s "
        "validMasterVersions:[s channels:[m:ServerConfig.ReleaseChannelConfig "
    ),
    "ServerConfig.ReleaseChannelConfig": (
        "channel:e:ReleaseChannel.Channel defaultVersion:s validVersions:[s "
        "upgradeTargetVersion:s "
    ),
    "CreateClusterRequest": (
        "projectId:s zone:s cluster:m:Cluster parent:s "
    ),
    "UpdateClusterRequest": (
        "projectId:s zone:s clusterId:s update:m:ClusterUpdate name:s "
    ),
    "ClusterUpdate": (
        "desiredNodeVersion:s desiredMonitoringService:s desiredAddonsConfig:m:AddonsConfig "
        "desiredNodePoolId:s desiredImageType:s desiredImage:s desiredImageProject:s "
        "desiredDatabaseEncryption:* desiredWorkloadIdentityConfig:* desiredMeshCertificates:* "
        "desiredShieldedNodes:* desiredCostManagementConfig:* desiredDnsConfig:* "
        "desiredNodePoolAutoscaling:m:NodePoolAutoscaling desiredLocations:[s "
        "desiredMasterAuthorizedNetworksConfig:* desiredClusterAutoscaling:* "
        "desiredBinaryAuthorization:* desiredLoggingService:s desiredResourceUsageExportConfig:* "
        "desiredVerticalPodAutoscaling:* desiredPrivateClusterConfig:m:PrivateClusterConfig "
        "desiredIntraNodeVisibilityConfig:* desiredDefaultSnatStatus:* "
        "desiredReleaseChannel:m:ReleaseChannel desiredL4ilbSubsettingConfig:* "
        "desiredDatapathProvider:e:DatapathProvider "
        "desiredPrivateIpv6GoogleAccess:e:PrivateIPv6GoogleAccess desiredNotificationConfig:* "
        "desiredAuthenticatorGroupsConfig:* desiredLoggingConfig:* desiredMonitoringConfig:* "
        "desiredIdentityServiceConfig:* desiredServiceExternalIpsConfig:* "
        "desiredEnablePrivateEndpoint:?b desiredDefaultEnablePrivateNodes:?b "
        "desiredControlPlaneEndpointsConfig:* desiredMasterVersion:s desiredGcfsConfig:* "
        "desiredNodePoolAutoConfigNetworkTags:m:NetworkTags desiredPodAutoscaling:* "
        "desiredGatewayApiConfig:* etag:s desiredNodePoolLoggingConfig:* desiredFleet:* "
        "desiredStackType:e:StackType additionalPodRangesConfig:* "
        "removedAdditionalPodRangesConfig:* enableK8sBetaApis:* desiredSecurityPostureConfig:* "
        "desiredNetworkPerformanceConfig:* desiredEnableFqdnNetworkPolicy:?b "
        "desiredAutopilotWorkloadPolicyConfig:* desiredK8sBetaApis:* desiredContainerdConfig:* "
        "desiredEnableMultiNetworking:?b desiredNodePoolAutoConfigResourceManagerTags:* "
        "desiredInTransitEncryptionConfig:?e:InTransitEncryptionConfig "
        "desiredEnableCiliumClusterwideNetworkPolicy:?b desiredSecretManagerConfig:?* "
        "desiredCompliancePostureConfig:?* desiredNodeKubeletConfig:* "
        "desiredNodePoolAutoConfigKubeletConfig:* userManagedKeysConfig:* "
        "desiredRbacBindingConfig:?* desiredAdditionalIpRangesConfig:* desiredEnterpriseConfig:* "
        "desiredAutoIpamConfig:* desiredDisableL4LbFirewallReconciliation:?b "
        "desiredNodePoolAutoConfigLinuxNodeConfig:* desiredUserManagedKeysConfig:* "
        "desiredAnonymousAuthenticationConfig:* gkeAutoUpgradeConfig:* desiredNetworkTierConfig:* "
        "desiredSecretSyncConfig:* desiredPrivilegedAdmissionConfig:* desiredControlPlaneEgress:* "
        "desiredRollbackSafeUpgrade:* desiredManagedOpentelemetryConfig:* "
        "desiredAutopilotClusterPolicyConfig:* desiredManagedMachineLearningDiagnosticsConfig:* "
        "desiredNodeCreationConfig:* desiredEmulatedVersion:?s "
    ),
    "UpdateNodePoolRequest": (
        "projectId:s zone:s clusterId:s nodePoolId:s nodeVersion:s imageType:s name:s image:s "
        "imageProject:s locations:[s workloadMetadataConfig:m:WorkloadMetadataConfig "
        "upgradeSettings:m:NodePool.UpgradeSettings tags:m:NetworkTags taints:m:NodeTaints "
        "labels:m:NodeLabels linuxNodeConfig:* kubeletConfig:* "
        "nodeNetworkConfig:m:NodeNetworkConfig gcfsConfig:* confidentialNodes:* gvnic:* etag:s "
        "fastSocket:* loggingConfig:* resourceLabels:m:ResourceLabels windowsNodeConfig:* "
        "accelerators:[m:AcceleratorConfig machineType:s diskType:s diskSizeGb:i64 "
        "resourceManagerTags:* containerdConfig:* "
        "queuedProvisioning:m:NodePool.QueuedProvisioning storagePools:[s maxRunDuration:s "
        "flexStart:?b bootDisk:* nodeDrainConfig:* consolidationDelay:s taintConfig:* "
        "maintenancePolicy:* "
    ),
    "SetNodePoolAutoscalingRequest": (
        "projectId:s zone:s clusterId:s nodePoolId:s autoscaling:m:NodePoolAutoscaling name:s "
    ),
    "SetNodePoolManagementRequest": (
        "projectId:s zone:s clusterId:s nodePoolId:s management:m:NodeManagement name:s "
    ),
    "SetNodePoolSizeRequest": (
        "projectId:s zone:s clusterId:s nodePoolId:s nodeCount:i32 name:s "
    ),
    "RollbackNodePoolUpgradeRequest": (
        "projectId:s zone:s clusterId:s nodePoolId:s name:s respectPdb:b "
    ),
    "CreateNodePoolRequest": (
        "projectId:s zone:s clusterId:s nodePool:m:NodePool parent:s "
    ),
    "SetLabelsRequest": (
        "projectId:s zone:s clusterId:s resourceLabels:{s labelFingerprint:s name:s "
    ),
    "SetLegacyAbacRequest": (
        "projectId:s zone:s clusterId:s enabled:b name:s "
    ),
    "SetLocationsRequest": (
        "projectId:s zone:s clusterId:s locations:[s name:s "
    ),
    "UpdateMasterRequest": (
        "projectId:s zone:s clusterId:s masterVersion:s name:s "
    ),
    "SetMasterAuthRequest": (
        "projectId:s zone:s clusterId:s action:e:SetMasterAuthRequest.Action update:m:MasterAuth "
        "name:s "
    ),
    "CancelOperationRequest": (
        "projectId:s zone:s operationId:s name:s "
    ),
    "SetLoggingServiceRequest": (
        "projectId:s zone:s clusterId:s loggingService:s name:s "
    ),
    "SetMonitoringServiceRequest": (
        "projectId:s zone:s clusterId:s monitoringService:s name:s "
    ),
    "ListClustersResponse": (
        "clusters:[m:Cluster missingZones:[s "
    ),
    "ListNodePoolsResponse": (
        "nodePools:[m:NodePool "
    ),
    "ListOperationsResponse": (
        "operations:[m:Operation missingZones:[s "
    ),
    "ShieldedInstanceConfig": (
        "enableSecureBoot:b enableIntegrityMonitoring:b "
    ),
    "NodePool.PlacementPolicy": (
        "type:e:NodePool.PlacementPolicy.Type tpuTopology:s policyName:s "
    ),
    "NetworkConfig": (
        "network:s subnetwork:s enableIntraNodeVisibility:b defaultSnatStatus:* "
        "enableL4ilbSubsetting:b datapathProvider:e:DatapathProvider "
        "privateIpv6GoogleAccess:e:PrivateIPv6GoogleAccess dnsConfig:* serviceExternalIpsConfig:* "
        "gatewayApiConfig:* enableMultiNetworking:b networkPerformanceConfig:* "
        "enableFqdnNetworkPolicy:?b inTransitEncryptionConfig:?e:InTransitEncryptionConfig "
        "enableCiliumClusterwideNetworkPolicy:?b defaultEnablePrivateNodes:?b "
        "dataplaneV2Config:?* disableL4LbFirewallReconciliation:?b "
    ),
    "IPAllocationPolicy": (
        "useIpAliases:b createSubnetwork:b subnetworkName:s clusterIpv4Cidr:s nodeIpv4Cidr:s "
        "servicesIpv4Cidr:s clusterSecondaryRangeName:s servicesSecondaryRangeName:s "
        "clusterIpv4CidrBlock:s nodeIpv4CidrBlock:s servicesIpv4CidrBlock:s tpuIpv4CidrBlock:s "
        "useRoutes:b stackType:e:StackType ipv6AccessType:e:IPv6AccessType "
        "podCidrOverprovisionConfig:* subnetIpv6CidrBlock:s servicesIpv6CidrBlock:s "
        "additionalPodRangesConfig:* defaultPodIpv4RangeUtilization:f "
        "additionalIpRangesConfigs:[* autoIpamConfig:* networkTierConfig:* "
    ),
    "NodeNetworkConfig": (
        "createPodRange:b podRange:s podIpv4CidrBlock:s enablePrivateNodes:?b "
        "networkPerformanceConfig:?* podCidrOverprovisionConfig:* additionalNodeNetworkConfigs:[* "
        "additionalPodNetworkConfigs:[* podIpv4RangeUtilization:f subnetwork:s "
        "networkTierConfig:* acceleratorNetworkProfile:s "
    ),
    "WorkloadMetadataConfig": (
        "mode:e:WorkloadMetadataConfig.Mode "
    ),
    "NodePool.QueuedProvisioning": (
        "enabled:b "
    ),
    "BlueGreenSettings": (
        "standardRolloutPolicy:m:BlueGreenSettings.StandardRolloutPolicy "
        "autoscaledRolloutPolicy:m:BlueGreenSettings.AutoscaledRolloutPolicy "
        "nodePoolSoakDuration:?s "
    ),
    "BlueGreenSettings.StandardRolloutPolicy": (
        "batchPercentage:f batchNodeCount:i32 batchSoakDuration:?s "
    ),
    "BlueGreenSettings.AutoscaledRolloutPolicy": (
        "waitForDrainDuration:s "
    ),
    "PrivateClusterConfig": (
        "enablePrivateNodes:b enablePrivateEndpoint:b masterIpv4CidrBlock:s privateEndpoint:s "
        "publicEndpoint:s peeringName:s masterGlobalAccessConfig:* privateEndpointSubnetwork:s "
    ),
    "AddonsConfig": (
        "httpLoadBalancing:m:HttpLoadBalancing "
        "horizontalPodAutoscaling:m:HorizontalPodAutoscaling kubernetesDashboard:* "
        "networkPolicyConfig:m:NetworkPolicyConfig cloudRunConfig:* "
        "dnsCacheConfig:m:DnsCacheConfig configConnectorConfig:* "
        "gcePersistentDiskCsiDriverConfig:m:GcePersistentDiskCsiDriverConfig "
        "gcpFilestoreCsiDriverConfig:* gkeBackupAgentConfig:* gcsFuseCsiDriverConfig:* "
        "statefulHaConfig:* parallelstoreCsiDriverConfig:* rayOperatorConfig:* "
        "highScaleCheckpointingConfig:* lustreCsiDriverConfig:* podSnapshotConfig:* "
        "slurmOperatorConfig:* sliceControllerConfig:* agentSandboxConfig:* nodeReadinessConfig:* "
    ),
    "HttpLoadBalancing": (
        "disabled:b "
    ),
    "HorizontalPodAutoscaling": (
        "disabled:b "
    ),
    "NetworkPolicyConfig": (
        "disabled:b "
    ),
    "GcePersistentDiskCsiDriverConfig": (
        "enabled:b "
    ),
    "DnsCacheConfig": (
        "enabled:b "
    ),
    "NetworkPolicy": (
        "provider:e:NetworkPolicy.Provider enabled:b "
    ),
    # google.rpc.Status (google/rpc/status.proto): details are google.protobuf.Any objects.
    "Status": "code:i32 message:s details:[* ",
}
ENUMS = {
    # google.rpc.Code (google/rpc/code.proto)
    "Code": "OK=0 CANCELLED=1 UNKNOWN=2 INVALID_ARGUMENT=3 DEADLINE_EXCEEDED=4 NOT_FOUND=5 ALREADY_EXISTS=6 "
    "PERMISSION_DENIED=7 UNAUTHENTICATED=16 RESOURCE_EXHAUSTED=8 FAILED_PRECONDITION=9 ABORTED=10 "
    "OUT_OF_RANGE=11 UNIMPLEMENTED=12 INTERNAL=13 UNAVAILABLE=14 DATA_LOSS=15",
    "Cluster.Status": "STATUS_UNSPECIFIED=0 PROVISIONING=1 RUNNING=2 RECONCILING=3 STOPPING=4 ERROR=5 DEGRADED=6",
    "DatapathProvider": "DATAPATH_PROVIDER_UNSPECIFIED=0 LEGACY_DATAPATH=1 ADVANCED_DATAPATH=2",
    "IPv6AccessType": "IPV6_ACCESS_TYPE_UNSPECIFIED=0 INTERNAL=1 EXTERNAL=2",
    "InTransitEncryptionConfig": "IN_TRANSIT_ENCRYPTION_CONFIG_UNSPECIFIED=0 IN_TRANSIT_ENCRYPTION_DISABLED=1 IN_TRANSIT_ENCRYPTION_INTER_NODE_TRANSPARENT=2",
    "NetworkPolicy.Provider": "PROVIDER_UNSPECIFIED=0 CALICO=1",
    "NodeConfig.EffectiveCgroupMode": "EFFECTIVE_CGROUP_MODE_UNSPECIFIED=0 EFFECTIVE_CGROUP_MODE_V1=1 EFFECTIVE_CGROUP_MODE_V2=2",
    "NodeConfig.LocalSsdEncryptionMode": "LOCAL_SSD_ENCRYPTION_MODE_UNSPECIFIED=0 STANDARD_ENCRYPTION=1 EPHEMERAL_KEY_ENCRYPTION=2",
    "NodePool.PlacementPolicy.Type": "TYPE_UNSPECIFIED=0 COMPACT=1",
    "NodePool.Status": "STATUS_UNSPECIFIED=0 PROVISIONING=1 RUNNING=2 RUNNING_WITH_ERROR=3 RECONCILING=4 STOPPING=5 ERROR=6",
    "NodePoolAutoscaling.LocationPolicy": "LOCATION_POLICY_UNSPECIFIED=0 BALANCED=1 ANY=2",
    "NodePoolUpdateStrategy": "NODE_POOL_UPDATE_STRATEGY_UNSPECIFIED=0 BLUE_GREEN=2 SURGE=3 SHORT_LIVED=5",
    "NodeTaint.Effect": "EFFECT_UNSPECIFIED=0 NO_SCHEDULE=1 PREFER_NO_SCHEDULE=2 NO_EXECUTE=3",
    "Operation.Status": "STATUS_UNSPECIFIED=0 PENDING=1 RUNNING=2 DONE=3 ABORTING=4",
    "Operation.Type": "TYPE_UNSPECIFIED=0 CREATE_CLUSTER=1 DELETE_CLUSTER=2 UPGRADE_MASTER=3 UPGRADE_NODES=4 REPAIR_CLUSTER=5 UPDATE_CLUSTER=6 CREATE_NODE_POOL=7 DELETE_NODE_POOL=8 SET_NODE_POOL_MANAGEMENT=9 AUTO_REPAIR_NODES=10 AUTO_UPGRADE_NODES=11 SET_LABELS=12 SET_MASTER_AUTH=13 SET_NODE_POOL_SIZE=14 SET_NETWORK_POLICY=15 SET_MAINTENANCE_POLICY=16 RESIZE_CLUSTER=18 FLEET_FEATURE_UPGRADE=19",
    "PrivateIPv6GoogleAccess": "PRIVATE_IPV6_GOOGLE_ACCESS_UNSPECIFIED=0 PRIVATE_IPV6_GOOGLE_ACCESS_DISABLED=1 PRIVATE_IPV6_GOOGLE_ACCESS_TO_GOOGLE=2 PRIVATE_IPV6_GOOGLE_ACCESS_BIDIRECTIONAL=3",
    "ReleaseChannel.Channel": "UNSPECIFIED=0 RAPID=1 REGULAR=2 STABLE=3 EXTENDED=4",
    "SetMasterAuthRequest.Action": "UNKNOWN=0 SET_PASSWORD=1 GENERATE_PASSWORD=2 SET_USERNAME=3",
    "StackType": "STACK_TYPE_UNSPECIFIED=0 IPV4=1 IPV4_IPV6=2",
    "StatusCondition.Code": "UNKNOWN=0 GCE_STOCKOUT=1 GKE_SERVICE_ACCOUNT_DELETED=2 GCE_QUOTA_EXCEEDED=3 SET_BY_OPERATOR=4 CLOUD_KMS_KEY_ERROR=7 CA_EXPIRING=9 NODE_SERVICE_ACCOUNT_MISSING_PERMISSIONS=10 CLOUD_KMS_KEY_DESTROYED=11",
    "WorkloadMetadataConfig.Mode": "MODE_UNSPECIFIED=0 GCE_METADATA=1 GKE_METADATA=2",
}


class Field:
    __slots__ = ("name", "proto_name", "kind", "ref", "repeated", "map", "optional")

    def __init__(self, name: str, spec: str) -> None:
        self.name = name
        self.proto_name = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
        self.repeated = spec.startswith("[")
        self.map = spec.startswith("{")
        self.optional = spec.startswith("?")
        spec = spec.lstrip("[{?")
        self.kind, _, self.ref = spec.partition(":")


def _parse() -> tuple[dict[str, dict[str, Field]], dict[str, dict[str, int]]]:
    messages: dict[str, dict[str, Field]] = {}
    for msg, text in MESSAGES.items():
        fields: dict[str, Field] = {}
        for item in text.split():
            name, _, spec = item.partition(":")
            fields[name] = Field(name, spec)
        messages[msg] = fields
    enums = {}
    for enum, text in ENUMS.items():
        enums[enum] = {k: int(v) for k, v in (pair.split("=") for pair in text.split())}
    return messages, enums


FIELDS, ENUM_VALUES = _parse()
ENUM_NAMES = {enum: {v: k for k, v in values.items()} for enum, values in ENUM_VALUES.items()}
# proto field name -> JSON name, per message (parsers accept both)
_PROTO_NAMES = {msg: {f.proto_name: f for f in fields.values()} for msg, fields in FIELDS.items()}

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class SchemaError(Exception):
    """A request body that Google's front end refuses (400 INVALID_ARGUMENT)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_label(field: Field) -> str:
    if field.kind == "e":
        return f"type.googleapis.com/google.container.v1.{field.ref}" if field.ref != "Code" else "type.googleapis.com/google.rpc.Code"
    return {"s": "TYPE_STRING", "b": "TYPE_BOOL", "i32": "TYPE_INT32", "i64": "TYPE_INT64", "u64": "TYPE_UINT64",
            "f": "TYPE_DOUBLE", "by": "TYPE_BYTES"}.get(field.kind, "TYPE_MESSAGE")


def _bad_value(path: str, field: Field, value: Any) -> SchemaError:
    # ESF's wording, e.g. Invalid value at 'node_count' (TYPE_INT32), "abc"
    shown = value if isinstance(value, str) else repr(value) if not isinstance(value, (int, float)) else value
    return SchemaError(f"Invalid value at '{path}' ({_type_label(field)}), \"{shown}\"" if isinstance(value, str)
                       else f"Invalid value at '{path}' ({_type_label(field)}), {shown}", path)


def parse_message(value: Any, msg: str, path: str = "") -> dict[str, Any]:
    """A request's JSON object for message ``msg`` into the emulator's canonical form
    (JSON names, enum names, 64-bit integers as strings, 32-bit integers as numbers)."""
    if not isinstance(value, dict):
        raise SchemaError(
            f"Invalid value at '{path}' (type.googleapis.com/google.container.v1.{msg}), {value!r}" if path
            else f"Invalid JSON payload received. Expected an object, got {type(value).__name__}.", path)
    fields = FIELDS[msg]
    by_proto = _PROTO_NAMES[msg]
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = fields.get(key) or by_proto.get(key)
        if field is None:
            where = f" at '{path}'" if path else ""
            raise SchemaError(f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.', path)
        fpath = _join(path, field.proto_name)
        if item is None:  # JSON null is the field's default
            continue
        if field.repeated:
            if not isinstance(item, list):
                raise _bad_value(fpath, field, item)
            out[field.name] = [_parse_value(v, field, f"{fpath}[{i}]") for i, v in enumerate(item)]
        elif field.map:
            if not isinstance(item, dict):
                raise _bad_value(fpath, field, item)
            out[field.name] = {str(k): _parse_value(v, field, f"{fpath}[{k}]") for k, v in item.items()}
        else:
            out[field.name] = _parse_value(item, field, fpath)
    return out


def _parse_value(item: Any, field: Field, path: str) -> Any:
    kind = field.kind
    if kind == "*":
        return item
    if kind == "m":
        return parse_message(item, field.ref, path)
    if kind == "s":
        if not isinstance(item, str):
            raise _bad_value(path, field, item)
        return item
    if kind == "b":
        if not isinstance(item, bool):
            raise _bad_value(path, field, item)
        return item
    if kind in ("i32", "i64", "u64"):
        number = item
        if isinstance(item, bool):
            raise _bad_value(path, field, item)
        if isinstance(item, str):
            try:
                number = int(item)
            except ValueError:
                raise _bad_value(path, field, item) from None
        elif isinstance(item, float):
            if not item.is_integer():
                raise _bad_value(path, field, item)
            number = int(item)
        elif not isinstance(item, int):
            raise _bad_value(path, field, item)
        low, high = (INT32_MIN, INT32_MAX) if kind == "i32" else (0, 2**64 - 1) if kind == "u64" else (INT64_MIN, INT64_MAX)
        if not low <= number <= high:
            raise _bad_value(path, field, item)
        return number if kind == "i32" else str(number)
    if kind == "f":
        if isinstance(item, bool) or not isinstance(item, (int, float, str)):
            raise _bad_value(path, field, item)
        try:
            return float(item)
        except ValueError:
            raise _bad_value(path, field, item) from None
    if kind == "by":
        if not isinstance(item, str):
            raise _bad_value(path, field, item)
        return item
    if kind == "e":
        values = ENUM_VALUES[field.ref]
        if isinstance(item, int) and not isinstance(item, bool):
            return ENUM_NAMES[field.ref].get(item, item)  # unknown numbers are kept (open enums)
        if isinstance(item, str) and item in values:
            return item
        raise _bad_value(path, field, item)
    raise AssertionError(kind)


def render(value: dict[str, Any], msg: str, int_enums: bool) -> dict[str, Any]:
    """The canonical form as Google's front end answers it: default scalar values left out, keys
    starting with ``_`` (the emulator's own bookkeeping) dropped, enums as numbers if asked."""
    fields = FIELDS[msg]
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key.startswith("_"):
            continue
        field = fields.get(key)
        if field is None or field.kind == "*":
            out[key] = item
            continue
        if field.repeated:
            if item:
                out[key] = [_render_value(v, field, int_enums) for v in item]
        elif field.map:
            if item:
                out[key] = {k: _render_value(v, field, int_enums) for k, v in item.items()}
        elif field.kind == "m":
            if item is not None:
                out[key] = render(item, field.ref, int_enums)
        else:
            default = item in (0, "", False, None, "0") or (field.kind == "e" and ENUM_VALUES[field.ref].get(item) == 0)
            if default and not field.optional:
                continue
            out[key] = _render_value(item, field, int_enums)
    return out


def _render_value(item: Any, field: Field, int_enums: bool) -> Any:
    if field.kind == "m":
        return render(item, field.ref, int_enums)
    if field.kind == "e" and int_enums and isinstance(item, str):
        return ENUM_VALUES[field.ref].get(item, item)
    return item
