"""The GKE emulator as Google's own Python client (google-cloud-container over REST) sees it."""

from __future__ import annotations

import base64

import pytest
from google.api_core import exceptions
from google.cloud import container_v1
from google.cloud.container_v1 import Cluster, NodePool, Operation

from conftest import PROJECT, StaticToken, make_client, wait

REGION = "europe-west1"
ZONE = "us-east1-b"


def parent(location: str) -> str:
    return f"projects/{PROJECT}/locations/{location}"


def cluster_name(location: str, name: str) -> str:
    return f"{parent(location)}/clusters/{name}"


def create_cluster(client, location: str, name: str, **fields) -> Operation:
    cluster = Cluster(name=name, initial_node_count=fields.pop("initial_node_count", 1), **fields)
    return client.create_cluster(parent=parent(location), cluster=cluster)


def error_status(exc: exceptions.GoogleAPICallError) -> str:
    return exc.response.json()["error"]["status"]


def test_cluster_create_get_list_delete(client, gke):
    op = create_cluster(client, REGION, "alpha", resource_labels={"team": "infra"})
    assert op.operation_type == Operation.Type.CREATE_CLUSTER
    assert op.status in (Operation.Status.PENDING, Operation.Status.RUNNING)
    assert op.target_link.endswith(f"/locations/{REGION}/clusters/alpha")
    assert op.start_time and not op.end_time

    assert client.get_cluster(name=cluster_name(REGION, "alpha")).status == Cluster.Status.PROVISIONING
    done = wait(client, REGION, op)
    assert done.end_time and not done.error.message

    cluster = client.get_cluster(name=cluster_name(REGION, "alpha"))
    config = client.get_server_config(name=parent(REGION))
    assert cluster.status == Cluster.Status.RUNNING
    assert cluster.current_master_version == config.default_cluster_version
    assert cluster.location == REGION
    assert cluster.locations == [f"{REGION}-a", f"{REGION}-b", f"{REGION}-c"]
    assert cluster.endpoint.count(".") == 3
    pem = base64.b64decode(cluster.master_auth.cluster_ca_certificate).decode()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert cluster.resource_labels == {"team": "infra"} and cluster.label_fingerprint
    assert cluster.release_channel.channel == container_v1.ReleaseChannel.Channel.REGULAR
    [pool] = cluster.node_pools
    assert pool.name == "default-pool" and pool.initial_node_count == 1
    assert pool.status == NodePool.Status.RUNNING and len(pool.instance_group_urls) == 3
    assert cluster.current_node_count == 3  # one node in each of three zones

    wait(client, ZONE, create_cluster(client, ZONE, "beta"))
    in_region = client.list_clusters(parent=parent(REGION))
    assert [c.name for c in in_region.clusters] == ["alpha"]
    everywhere = client.list_clusters(parent=parent("-"))
    assert sorted(c.name for c in everywhere.clusters) == ["alpha", "beta"]
    assert list(everywhere.missing_zones) == []
    gke.control("POST", "settings", {"missing_zones": [ZONE]})
    partial = client.list_clusters(parent=parent("-"))
    assert [c.name for c in partial.clusters] == ["alpha"] and list(partial.missing_zones) == [ZONE]
    gke.control("POST", "settings", {"missing_zones": []})

    op = client.delete_cluster(name=cluster_name(REGION, "alpha"))
    assert op.operation_type == Operation.Type.DELETE_CLUSTER
    assert client.get_cluster(name=cluster_name(REGION, "alpha")).status == Cluster.Status.STOPPING
    wait(client, REGION, op)
    with pytest.raises(exceptions.NotFound) as err:
        client.get_cluster(name=cluster_name(REGION, "alpha"))
    assert error_status(err.value) == "NOT_FOUND"
    assert "Not found: projects/aic-test/locations/europe-west1/clusters/alpha" in str(err.value)
    assert [c.name for c in client.list_clusters(parent=parent("-")).clusters] == ["beta"]


def test_node_pool_resize_concurrency_upgrade_and_delete(client, gke):
    wait(client, REGION, create_cluster(client, REGION, "pools"))
    cname = cluster_name(REGION, "pools")
    config = client.get_server_config(name=parent(REGION))
    master = client.get_cluster(name=cname).current_master_version
    older = next(v for v in config.valid_node_versions if v < master and v.split(".")[1] != master.split(".")[1])

    pool = NodePool(
        name="workers",
        initial_node_count=2,
        version=older,
        config=container_v1.NodeConfig(
            machine_type="e2-standard-4", disk_size_gb=50, labels={"role": "worker"}, spot=True,
            taints=[container_v1.NodeTaint(key="dedicated", value="batch",
                                           effect=container_v1.NodeTaint.Effect.NO_SCHEDULE)]),
        autoscaling=container_v1.NodePoolAutoscaling(enabled=True, min_node_count=1, max_node_count=5),
    )
    op = client.create_node_pool(parent=cname, node_pool=pool)
    assert op.operation_type == Operation.Type.CREATE_NODE_POOL
    wait(client, REGION, op)

    pname = f"{cname}/nodePools/workers"
    got = client.get_node_pool(name=pname)
    assert got.status == NodePool.Status.RUNNING and got.version == older
    assert got.config.machine_type == "e2-standard-4" and got.config.disk_size_gb == 50 and got.config.spot
    assert got.config.taints[0].effect == container_v1.NodeTaint.Effect.NO_SCHEDULE
    assert got.autoscaling.max_node_count == 5
    assert sorted(p.name for p in client.list_node_pools(parent=cname).node_pools) == ["default-pool", "workers"]
    assert "workers" in [p.name for p in client.get_cluster(name=cname).node_pools]

    # resize; while that runs, a second operation on the cluster is refused
    resize = client.set_node_pool_size(request={"name": pname, "node_count": 4})
    assert resize.operation_type == Operation.Type.SET_NODE_POOL_SIZE
    with pytest.raises(exceptions.BadRequest) as err:
        client.set_node_pool_autoscaling(request={"name": pname, "autoscaling": container_v1.NodePoolAutoscaling(
            enabled=True, min_node_count=1, max_node_count=8)})
    assert err.value.code == 400 and error_status(err.value) == "FAILED_PRECONDITION"
    assert f"Cluster is running incompatible operation {resize.name}" in str(err.value)
    wait(client, REGION, resize)
    assert client.get_cluster(name=cname).current_node_count == 3 * 1 + 3 * 4

    # out of the autoscaling limits
    with pytest.raises(exceptions.BadRequest) as err:
        client.set_node_pool_size(request={"name": pname, "node_count": 9})
    assert error_status(err.value) == "INVALID_ARGUMENT"

    # version upgrade of the node pool, then of the master
    upgrade = client.update_node_pool(request={"name": pname, "node_version": master, "image_type": "COS_CONTAINERD"})
    assert upgrade.operation_type == Operation.Type.UPGRADE_NODES
    assert client.get_node_pool(name=pname).status == NodePool.Status.RECONCILING
    wait(client, REGION, upgrade)
    assert client.get_node_pool(name=pname).version == master

    newer = max((v for v in config.valid_master_versions if v > master
                 and int(v.split(".")[1]) == int(master.split(".")[1]) + 1), default=None)
    if newer:
        op = client.update_cluster(name=cname, update=container_v1.ClusterUpdate(desired_master_version=newer))
        assert op.operation_type == Operation.Type.UPGRADE_MASTER
        assert client.get_cluster(name=cname).status == Cluster.Status.RECONCILING
        wait(client, REGION, op)
        assert client.get_cluster(name=cname).current_master_version == newer

    wait(client, REGION, client.delete_node_pool(name=pname))
    with pytest.raises(exceptions.NotFound) as err:
        client.get_node_pool(name=pname)
    assert error_status(err.value) == "NOT_FOUND"
    wait(client, REGION, client.delete_cluster(name=cname))
    with pytest.raises(exceptions.NotFound):
        client.list_node_pools(parent=cname)


def test_injected_failure_ends_the_operation_with_an_error(client, gke):
    wait(client, ZONE, create_cluster(client, ZONE, "flaky", initial_node_count=2))
    cname = cluster_name(ZONE, "flaky")
    gke.control("POST", "fail-operation", {"cluster": "flaky", "code": "RESOURCE_EXHAUSTED",
                                           "message": "Insufficient regional quota to satisfy request."})
    op = client.set_node_pool_size(request={"name": f"{cname}/nodePools/default-pool", "node_count": 5})
    done = wait(client, ZONE, op)
    assert done.status == Operation.Status.DONE
    assert done.error.code == 8  # google.rpc.Code.RESOURCE_EXHAUSTED
    assert done.error.message == "Insufficient regional quota to satisfy request."
    cluster = client.get_cluster(name=cname)
    assert cluster.current_node_count == 2 and cluster.status == Cluster.Status.RUNNING
    # the failure was used up: the next operation succeeds
    again = client.set_node_pool_size(request={"name": f"{cname}/nodePools/default-pool", "node_count": 5})
    assert not wait(client, ZONE, again).error.message
    assert client.get_cluster(name=cname).current_node_count == 5


def test_a_failed_create_leaves_the_cluster_in_error(client, gke):
    gke.control("POST", "fail-operation", {"cluster": cluster_name(REGION, "doomed")})
    done = wait(client, REGION, create_cluster(client, REGION, "doomed"))
    assert done.error.code == 13 and done.error.message
    assert client.get_cluster(name=cluster_name(REGION, "doomed")).status == Cluster.Status.ERROR


def test_requests_without_a_token_are_unauthenticated(gke):
    anonymous = make_client(gke.endpoint, credentials=StaticToken(None))
    with pytest.raises(exceptions.Unauthorized) as err:
        anonymous.list_clusters(parent=parent("-"))
    body = err.value.response.json()["error"]
    assert body["code"] == 401 and body["status"] == "UNAUTHENTICATED"
    assert err.value.reason == "CREDENTIALS_MISSING"
    assert err.value.response.headers["WWW-Authenticate"].startswith("Bearer")

    gke.control("POST", "settings", {"tokens": ["only-this-one"]})
    with pytest.raises(exceptions.Unauthorized):
        make_client(gke.endpoint, credentials=StaticToken("some-other-token")).list_clusters(parent=parent("-"))
    allowed = make_client(gke.endpoint, credentials=StaticToken("only-this-one"))
    assert list(allowed.list_clusters(parent=parent("-")).clusters) == []


def test_throttling_has_googles_error_shape(client, gke):
    gke.control("POST", "faults", {"path": "/clusters$", "method": "GET", "status": 429, "times": 1})
    with pytest.raises(exceptions.TooManyRequests) as err:
        client.list_clusters(parent=parent(REGION))
    body = err.value.response.json()["error"]
    assert body["code"] == 429 and body["status"] == "RESOURCE_EXHAUSTED"
    assert "Quota exceeded" in body["message"]
    assert err.value.reason == "RATE_LIMIT_EXCEEDED"
    assert client.list_clusters(parent=parent(REGION)).clusters == []


def test_validation_errors(client):
    with pytest.raises(exceptions.BadRequest) as err:
        create_cluster(client, REGION, "Bad_Name")
    assert 'Invalid value for field "cluster.name": "Bad_Name"' in str(err.value)
    with pytest.raises(exceptions.BadRequest) as err:
        create_cluster(client, REGION, "nodes", node_config=container_v1.NodeConfig(machine_type="e2-huge-7"))
    assert 'machine type "e2-huge-7" does not exist' in str(err.value)
    with pytest.raises(exceptions.BadRequest) as err:
        create_cluster(client, REGION, "old", initial_cluster_version="1.2.3-gke.4")
    assert 'Master version "1.2.3-gke.4" is unsupported' in str(err.value)
    with pytest.raises(exceptions.BadRequest):
        create_cluster(client, REGION, "noscale", initial_node_count=0)

    wait(client, REGION, create_cluster(client, REGION, "taken"))
    with pytest.raises(exceptions.Conflict) as err:
        create_cluster(client, REGION, "taken")
    assert error_status(err.value) == "ALREADY_EXISTS"
    with pytest.raises(exceptions.BadRequest):
        client.create_node_pool(parent=cluster_name(REGION, "taken"), node_pool=NodePool(
            name="scaled", initial_node_count=1,
            autoscaling=container_v1.NodePoolAutoscaling(enabled=True, min_node_count=4, max_node_count=2)))
    with pytest.raises(exceptions.NotFound):
        client.create_node_pool(parent=cluster_name(REGION, "missing"), node_pool=NodePool(name="p", initial_node_count=1))


def test_release_channel_versions_and_labels(client):
    config = client.get_server_config(name=parent(REGION))
    channels = {c.channel: c for c in config.channels}
    assert set(channels) == {container_v1.ReleaseChannel.Channel.RAPID, container_v1.ReleaseChannel.Channel.REGULAR,
                             container_v1.ReleaseChannel.Channel.STABLE, container_v1.ReleaseChannel.Channel.EXTENDED}
    assert channels[container_v1.ReleaseChannel.Channel.REGULAR].default_version == config.default_cluster_version
    assert list(config.valid_master_versions) == sorted(config.valid_master_versions,
                                                        key=lambda v: [int(x) for x in v.replace("-gke.", ".").split(".")],
                                                        reverse=True)

    stable = channels[container_v1.ReleaseChannel.Channel.STABLE].default_version
    op = create_cluster(client, REGION, "stable", initial_cluster_version=stable,
                        release_channel=container_v1.ReleaseChannel(channel=container_v1.ReleaseChannel.Channel.STABLE))
    wait(client, REGION, op)
    cname = cluster_name(REGION, "stable")
    cluster = client.get_cluster(name=cname)
    assert cluster.current_master_version == stable and cluster.node_pools[0].version == stable

    # labels with the fingerprint read just before, as the API requires
    op = client.set_labels(request={"name": cname, "resource_labels": {"env": "prod"},
                                    "label_fingerprint": cluster.label_fingerprint})
    wait(client, REGION, op)
    again = client.get_cluster(name=cname)
    assert again.resource_labels == {"env": "prod"} and again.label_fingerprint != cluster.label_fingerprint
    with pytest.raises(exceptions.BadRequest) as err:
        client.set_labels(request={"name": cname, "resource_labels": {"env": "dev"},
                                   "label_fingerprint": cluster.label_fingerprint})
    assert error_status(err.value) == "FAILED_PRECONDITION"

    # release-channel clusters keep node auto-upgrade on
    with pytest.raises(exceptions.BadRequest) as err:
        client.set_node_pool_management(request={
            "name": f"{cname}/nodePools/default-pool",
            "management": container_v1.NodeManagement(auto_upgrade=False, auto_repair=True)})
    assert error_status(err.value) == "INVALID_ARGUMENT"
    op = client.update_cluster(name=cname, update=container_v1.ClusterUpdate(
        desired_release_channel=container_v1.ReleaseChannel(channel=container_v1.ReleaseChannel.Channel.REGULAR)))
    assert op.operation_type == Operation.Type.UPDATE_CLUSTER
    wait(client, REGION, op)
    assert client.get_cluster(name=cname).release_channel.channel == container_v1.ReleaseChannel.Channel.REGULAR


def test_wire_format_is_proto3_json(gke):
    path = f"/v1/{parent(REGION)}/clusters"
    status, op = gke.raw("POST", path, {"cluster": {
        "name": "wire", "initial_node_count": "2",  # proto field name and a numeric string are accepted
        "nodeConfig": {"machineType": "e2-small", "taints": [{"key": "k", "effect": 3}]},
        "releaseChannel": {"channel": "RAPID"}}})
    assert status == 200, op
    assert op["operationType"] == "CREATE_CLUSTER" and op["status"] == "RUNNING"
    gke.control("POST", "settle")

    status, cluster = gke.raw("GET", f"{path}/wire")
    assert cluster["initialNodeCount"] == 2 and cluster["status"] == "RUNNING"
    pool = cluster["nodePools"][0]
    assert pool["maxPodsConstraint"] == {"maxPodsPerNode": "110"}  # int64 as a string
    assert pool["config"]["taints"] == [{"key": "k", "effect": "NO_EXECUTE"}]  # enum number in, name out
    assert "enableKubernetesAlpha" not in cluster  # default values are left out

    # what the Python and Rust clients ask for: enums as numbers
    status, cluster = gke.raw("GET", f"{path}/wire?%24alt=json%3Benum-encoding%3Dint&projectId=&zone=&clusterId=")
    assert status == 200 and cluster["status"] == 2 and cluster["releaseChannel"] == {"channel": 1}

    status, body = gke.raw("POST", path, {"cluster": {"name": "x", "initialNodeCount": 1, "nodeCount": 3}})
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert body["error"]["message"] == "Invalid JSON payload received. Unknown name \"nodeCount\" at 'cluster': Cannot find field."
    status, body = gke.raw("GET", f"{path}?pageToken=abc")
    assert status == 400 and "Cannot bind query parameter" in body["error"]["message"]

    # links carry the port even when the Host header does not (the Rust client sends the bare host)
    status, op = gke.raw("GET", f"/v1/{parent(REGION)}/operations/{op['name']}", headers={"Host": "127.0.0.1"})
    assert op["selfLink"].startswith(gke.endpoint + "/v1/projects/")

    # a node pool's current size is its instance groups' targetSize (Compute Engine)
    igm = pool["instanceGroupUrls"][0].split(gke.endpoint, 1)[1]
    status, group = gke.raw("GET", igm)
    assert status == 200 and group["targetSize"] == 2


def test_drift_and_out_of_band_delete(client, gke):
    wait(client, REGION, create_cluster(client, REGION, "drifty", initial_node_count=2))
    cname = cluster_name(REGION, "drifty")
    gke.control("POST", "drift", {"name": cname, "set": {"resourceLabels": {"changed": "by-hand"}}})
    gke.control("POST", "drift", {"name": f"{cname}/nodePools/default-pool", "nodeCount": 7,
                                  "set": {"management": {"autoRepair": False, "autoUpgrade": True}}})
    cluster = client.get_cluster(name=cname)
    assert cluster.resource_labels == {"changed": "by-hand"}
    assert cluster.node_pools[0].management.auto_repair is False
    assert cluster.current_node_count == 7 * 3

    gke.control("POST", "drift", {"name": cname, "delete": True})
    with pytest.raises(exceptions.NotFound):
        client.get_cluster(name=cname)


def test_cancel_a_node_upgrade(client, gke):
    wait(client, REGION, create_cluster(client, REGION, "cancel"))
    cname = cluster_name(REGION, "cancel")
    config = client.get_server_config(name=parent(REGION))
    master = client.get_cluster(name=cname).current_master_version
    older = next(v for v in config.valid_node_versions if v < master)
    wait(client, REGION, client.create_node_pool(parent=cname, node_pool=NodePool(name="np", initial_node_count=1,
                                                                                  version=older)))
    gke.control("POST", "settings", {"operation_seconds": 5})
    op = client.update_node_pool(request={"name": f"{cname}/nodePools/np", "node_version": "-",
                                          "image_type": "COS_CONTAINERD"})
    client.cancel_operation(name=f"{parent(REGION)}/operations/{op.name}")
    done = wait(client, REGION, op, timeout=2)
    assert done.error.code == 1  # CANCELLED
    pool = client.get_node_pool(name=f"{cname}/nodePools/np")
    assert pool.version == older and pool.status == NodePool.Status.RUNNING_WITH_ERROR
    gke.control("POST", "settings", {"operation_seconds": 0.15})
    wait(client, REGION, client.rollback_node_pool_upgrade(name=f"{cname}/nodePools/np"))
    assert client.get_node_pool(name=f"{cname}/nodePools/np").status == NodePool.Status.RUNNING


def test_requests_shaped_like_the_rust_clients(gke):
    """google-cloud-container-v1 sends the whole request as the body (name/parent included),
    enums as numbers, int64 as strings, `$alt=json;enum-encoding=int` on every call and the
    deprecated fields as empty query parameters on GET/DELETE."""
    alt = "%24alt=json%3Benum-encoding%3Dint"
    p = parent(ZONE)
    status, op = gke.raw("POST", f"/v1/{p}/clusters?{alt}", {"parent": p, "cluster": {
        "name": "rusty", "releaseChannel": {"channel": 3},
        "nodePools": [{"name": "np", "initialNodeCount": 1, "maxPodsConstraint": {"maxPodsPerNode": "64"},
                       "config": {"taints": [{"key": "a", "effect": 1}]}}]}})
    assert status == 200 and op["operationType"] == 1 and op["status"] == 2
    status, op = gke.raw("POST", f"/v1/{p}/clusters/rusty/nodePools/np:setSize?{alt}",
                         {"name": f"{p}/clusters/rusty/nodePools/np", "nodeCount": 2})
    assert status == 400 and body_status(op) == "FAILED_PRECONDITION"  # the create still runs
    gke.control("POST", "settle")
    status, op = gke.raw("POST", f"/v1/{p}/clusters/rusty/nodePools/np:setSize?{alt}",
                         {"name": f"{p}/clusters/rusty/nodePools/np", "nodeCount": 2})
    assert status == 200 and op["operationType"] == 14
    status, op = gke.raw("PUT", f"/v1/{p}/clusters/rusty/nodePools/np?{alt}",
                         {"name": f"{p}/clusters/rusty/nodePools/np", "diskSizeGb": "40"})
    gke.control("POST", "settle")  # the resize; the update was refused while it ran
    assert status == 400 and body_status(op) == "FAILED_PRECONDITION"
    status, op = gke.raw("PUT", f"/v1/{p}/clusters/rusty/nodePools/np?{alt}",
                         {"name": f"{p}/clusters/rusty/nodePools/np", "diskSizeGb": "40"})
    assert status == 200 and op["operationType"] == 4
    gke.control("POST", "settle")
    status, pool = gke.raw("GET", f"/v1/{p}/clusters/rusty/nodePools/np?projectId=&zone=&clusterId=&nodePoolId=&{alt}")
    assert status == 200 and pool["config"]["diskSizeGb"] == 40 and pool["status"] == 2
    assert pool["maxPodsConstraint"] == {"maxPodsPerNode": "64"} and pool["config"]["taints"][0]["effect"] == 1
    status, op = gke.raw("DELETE", f"/v1/{p}/clusters/rusty?projectId=&zone=&clusterId=&{alt}")
    assert status == 200 and op["operationType"] == 2
    gke.control("POST", "settle")
    status, err = gke.raw("GET", f"/v1/{p}/clusters/rusty?projectId=&zone=&clusterId=&{alt}")
    assert status == 404 and body_status(err) == "NOT_FOUND"


def body_status(body) -> str:
    return body["error"]["status"]
