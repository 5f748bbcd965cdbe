"""The wire contract as a plain HTTP client (aic's Rust provider) sees it: what the Python client
hides."""

from __future__ import annotations

import base64
import io
import json
import math
import time
import uuid
import zlib
from collections import Counter

import numpy as np
import pytest

from conftest import APIKEY_GRANT, BELL_QASM3, CRN

PARAM_QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
qubit[1] q;
bit[1] c;
rx(theta) q[0];
c[0] = measure q[0];
"""


def submit(emu, body: dict) -> str:
    r = emu.api("POST", "/jobs", json=body)
    assert r.status_code == 200, r.text
    assert set(r.json()) >= {"id", "backend"}
    return r.json()["id"]


def sampler_job(backend="ibmq_qasm_simulator", pubs=None, **extra) -> dict:
    params = {"pubs": pubs or [[BELL_QASM3, None, 1000]], "version": 2}
    params.update(extra.pop("params", {}))
    return {"program_id": "sampler", "backend": backend, "params": params, **extra}


def assert_ibm_error(r, status: int, code: int | None = None):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"errors", "trace"}
    error = body["errors"][0]
    assert isinstance(error["code"], int) and error["message"]
    if code is not None:
        assert error["code"] == code, body
    return error


# ----- authentication -----------------------------------------------------------------------
def test_iam_token_exchange(emu):
    r = emu.http.post(f"{emu.url}/identity/token", data={"grant_type": APIKEY_GRANT, "apikey": "any"})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert abs(body["expiration"] - (time.time() + 3600)) < 5
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert claims["exp"] == body["expiration"]

    emu.settings(api_keys=["good-key"])
    r = emu.http.post(f"{emu.url}/identity/token", data={"grant_type": APIKEY_GRANT, "apikey": "bad-key"})
    assert r.status_code == 400
    assert r.json()["errorCode"] == "BXNIM0415E"
    assert r.json()["errorMessage"] == "Provided API key could not be found."
    assert emu.token("good-key")


def test_401_without_or_with_an_unknown_or_expired_token(emu):
    r = emu.http.get(f"{emu.url}/api/v1/backends", headers={"Service-CRN": CRN, "IBM-API-Version": "2026-04-15"})
    assert_ibm_error(r, 401, 1219)
    assert_ibm_error(emu.api("GET", "/backends", headers=emu.headers(token="not-a-token")), 401, 1219)
    emu.settings(token_lifetime_seconds=1)
    short = emu.token()
    assert emu.api("GET", "/backends", headers=emu.headers(token=short)).status_code == 200
    time.sleep(1.2)
    assert_ibm_error(emu.api("GET", "/backends", headers=emu.headers(token=short)), 401, 1219)


def test_service_crn_is_required(emu):
    error = assert_ibm_error(emu.api("GET", "/backends", headers=emu.headers(crn=None)), 403, 1200)
    assert error["message"] == "You are not authorized to perform this action."
    other = CRN.replace("us-east", "eu-de")
    assert_ibm_error(emu.api("GET", "/backends", headers=emu.headers(crn=other)), 403, 1200)


def test_api_version_header(emu):
    full = emu.api("GET", "/backends").json()["devices"]
    assert {d["name"] for d in full} >= {"ibm_kestrel", "ibmq_qasm_simulator"}
    assert all({"name", "status", "qubits", "queue_length"} <= set(d) for d in full)
    legacy = emu.api("GET", "/backends", headers=emu.headers(version=None)).json()["devices"]
    assert legacy == ["ibm_kestrel", "ibm_harrier", "ibm_eyrie", "ibmq_qasm_simulator"]
    assert_ibm_error(emu.api("GET", "/backends", headers=emu.headers(version="latest")), 400)


# ----- backends ---------------------------------------------------------------------------------
def test_backend_status_queue_grows_as_jobs_queue(emu):
    before = emu.api("GET", "/backends/ibm_kestrel/status").json()
    assert before == {"state": True, "status": "active", "message": "available",
                      "length_queue": 4, "backend_version": "1.2.6"}
    emu.settings(job_queue_seconds=30)
    for _ in range(3):
        submit(emu, sampler_job("ibm_kestrel"))
    assert emu.api("GET", "/backends/ibm_kestrel/status").json()["length_queue"] == 7
    emu.control("POST", "backends/ibm_kestrel", {"status": "paused", "reason": "maintenance", "queue_length": 0})
    paused = emu.api("GET", "/backends/ibm_kestrel/status").json()
    assert paused["state"] is False and paused["status"] == "maintenance" and paused["length_queue"] == 3
    entry = next(d for d in emu.api("GET", "/backends").json()["devices"] if d["name"] == "ibm_kestrel")
    assert entry["status"] == {"name": "paused", "reason": "maintenance"}


def test_a_paused_backend_keeps_its_jobs_queued(emu):
    emu.control("POST", "backends/ibm_kestrel", {"status": "paused"})
    job = submit(emu, sampler_job("ibm_kestrel"))
    time.sleep(1.0)
    assert emu.api("GET", f"/jobs/{job}").json()["state"]["status"] == "Queued"
    emu.control("POST", "backends/ibm_kestrel", {"status": "online"})
    assert emu.wait_job(job)["state"]["status"] == "Completed"


def test_configuration_and_properties_documents(emu):
    conf = emu.api("GET", "/backends/ibm_harrier/configuration").json()
    assert conf["n_qubits"] == 27 and conf["basis_gates"] == ["cx", "id", "rz", "sx", "x"]
    assert [0, 1] in conf["coupling_map"] and [1, 0] in conf["coupling_map"]
    props = emu.api("GET", "/backends/ibm_harrier/properties").json()
    assert len(props["qubits"]) == 27
    names = {p["name"]: p for p in props["qubits"][0]}
    assert names["T1"]["unit"] == "us" and names["T1"]["value"] > 0
    assert 0 < names["readout_error"]["value"] < 0.2
    cx = [g for g in props["gates"] if g["gate"] == "cx"]
    assert len(cx) == 2 * 28
    assert {p["name"] for p in cx[0]["parameters"]} == {"gate_error", "gate_length"}
    assert_ibm_error(emu.api("GET", "/backends/ibm_nowhere/status"), 404)


# ----- jobs: OpenQASM 3 text and the pure-JSON result --------------------------------------
def test_openqasm3_sampler_job_and_its_json_result(emu):
    job = submit(emu, sampler_job(pubs=[[BELL_QASM3, None, 2000], [BELL_QASM3]]))
    doc = emu.wait_job(job)
    assert doc["state"] == {"status": "Completed"} and doc["status"] == "Completed"
    assert doc["program"] == {"id": "sampler"} and doc["backend"] == "ibmq_qasm_simulator"
    r = emu.api("GET", f"/jobs/{job}/results")
    assert r.status_code == 200
    body = r.json()
    assert body["metadata"]["version"] == 2
    first, second = body["results"]
    assert first["data"]["c"]["num_bits"] == 2
    samples = first["data"]["c"]["samples"]
    assert len(samples) == 2000 and len(second["data"]["c"]["samples"]) == 4096  # default shots
    counts = Counter(samples)
    assert set(counts) == {"0x0", "0x3"}
    assert abs(counts["0x0"] - 1000) < 5 * math.sqrt(500)


def test_register_bit_order_in_hex_samples(emu):
    # c[0] = 1, c[1] = 0 on every shot: the sample is 0x1 (clbit i is bit i of the value)
    qasm = 'OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; bit[2] c; x q[0]; c = measure q;'
    job = submit(emu, sampler_job(pubs=[[qasm, None, 50]]))
    emu.wait_job(job)
    assert set(emu.api("GET", f"/jobs/{job}/results").json()["results"][0]["data"]["c"]["samples"]) == {"0x1"}


def test_parameters_by_name_and_broadcasting(emu):
    job = submit(emu, sampler_job(pubs=[[PARAM_QASM3, {"theta": [0.0, math.pi]}, 200]]))
    emu.wait_job(job)
    samples = emu.api("GET", f"/jobs/{job}/results").json()["results"][0]["data"]["c"]["samples"]
    assert len(samples) == 2 and set(samples[0]) == {"0x0"} and set(samples[1]) == {"0x1"}


def test_estimator_with_openqasm3_and_pauli_dict(emu):
    qasm = 'OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; h q[0]; cx q[0], q[1];'
    job = submit(emu, {"program_id": "estimator", "backend": "ibm_kestrel",
                       "params": {"pubs": [[qasm, {"ZZ": 1.0, "XX": 0.5}], [qasm, [{"IZ": 1}, {"ZI": 1}]]],
                                  "version": 2, "options": {"default_precision": 0.02}}})
    assert emu.wait_job(job)["state"]["status"] == "Completed"
    results = emu.api("GET", f"/jobs/{job}/results").json()["results"]
    assert results[0]["data"]["evs"] == pytest.approx(1.5, abs=0.1)
    assert 0 < results[0]["data"]["stds"] < 0.05
    assert results[0]["metadata"]["shots"] == 2500
    assert len(results[1]["data"]["evs"]) == 2 and all(abs(v) < 0.15 for v in results[1]["data"]["evs"])


def test_qiskit_encoded_result_decodes_by_hand_and_with_ibms_decoder(emu):
    from qiskit_ibm_runtime import RuntimeDecoder

    job = submit(emu, sampler_job(pubs=[[BELL_QASM3, None, 300]], params={"support_qiskit": True}))
    emu.wait_job(job)
    raw = emu.api("GET", f"/jobs/{job}/results").json()
    assert raw["__type__"] == "PrimitiveResult"
    pub = raw["__value__"]["pub_results"][0]
    assert pub["__type__"] == "SamplerPubResult"
    field = pub["__value__"]["data"]["__value__"]["fields"]["c"]
    assert field["__type__"] == "BitArray" and field["__value__"]["num_bits"] == 2
    # the recipe README.md gives a Rust client: base64 → zlib → .npy → uint8 [shots, bytes]
    array = np.load(io.BytesIO(zlib.decompress(base64.b64decode(field["__value__"]["array"]["__value__"]))))
    assert array.dtype == np.uint8 and array.shape == (300, 1)
    assert set(array[:, 0].tolist()) == {0, 3}
    decoded = json.loads(json.dumps(raw), cls=RuntimeDecoder)
    counts = decoded[0].data.c.get_counts()
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 300


def test_qpy_encoded_circuits_are_accepted(emu):
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime import RuntimeEncoder

    qc = QuantumCircuit(2)
    qc.x(1)
    qc.measure_all()
    params = json.loads(json.dumps({"pubs": [[qc, None, 100]], "version": 2}, cls=RuntimeEncoder))
    assert params["pubs"][0][0]["__type__"] == "QuantumCircuit"
    job = submit(emu, {"program_id": "sampler", "backend": "ibm_kestrel", "params": params})
    emu.wait_job(job)
    samples = emu.api("GET", f"/jobs/{job}/results").json()["results"][0]["data"]["meas"]["samples"]
    assert Counter(samples).most_common(1)[0][0] == "0x2"


def test_too_wide_and_bad_qasm_fail_with_ibms_reasons(emu):
    wide = 'OPENQASM 3.0; include "stdgates.inc"; qubit[6] q; bit[6] c; h q[0]; c = measure q;'
    job = submit(emu, sampler_job("ibm_kestrel", pubs=[[wide]]))
    state = emu.wait_job(job)["state"]
    assert state["status"] == "Failed" and state["reason_code"] == 1516
    assert state["reason"].startswith("Number of qubits (6) in ") and "maximum (5)" in state["reason"]
    assert emu.api("GET", f"/jobs/{job}/results").status_code == 204
    bad = submit(emu, sampler_job(pubs=[["OPENQASM 3.0; qubit q; frobnicate q;"]]))
    state = emu.wait_job(bad)["state"]
    assert state["status"] == "Failed" and state["reason_code"] == 3211
    assert state["reason"].startswith("Job not valid. Failed to parse the OpenQASM program")


def test_request_validation_errors(emu):
    assert_ibm_error(emu.api("POST", "/jobs", json={"backend": "ibm_kestrel"}), 400)
    assert_ibm_error(emu.api("POST", "/jobs", json={**sampler_job(), "program_id": "qasm3-runner"}), 404)
    assert_ibm_error(emu.api("POST", "/jobs", json=sampler_job("ibm_nowhere")), 404)
    no_pubs = {"program_id": "sampler", "backend": "ibm_kestrel", "params": {"pubs": [], "version": 2}}
    assert_ibm_error(emu.api("POST", "/jobs", json=no_pubs), 400)
    assert_ibm_error(emu.api("GET", "/jobs/d0nonexistent000000"), 404, 1291)


# ----- job lifecycle ------------------------------------------------------------------------------
def test_job_states_results_cancel_and_delete(emu):
    emu.settings(job_queue_seconds=0.6, job_run_seconds=0.6)
    job = submit(emu, sampler_job())
    seen = []
    while True:
        status = emu.api("GET", f"/jobs/{job}").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("Completed", "Failed", "Cancelled"):
            break
        if status == "Queued":
            assert_ibm_error(emu.api("GET", f"/jobs/{job}/results"), 400, 1234)
            assert_ibm_error(emu.api("DELETE", f"/jobs/{job}"), 400)
        time.sleep(0.05)
    assert seen == ["Queued", "Running", "Completed"]
    assert_ibm_error(emu.api("POST", f"/jobs/{job}/cancel"), 409)
    metrics = emu.api("GET", f"/jobs/{job}/metrics").json()
    assert metrics["timestamps"]["running"] and metrics["usage"]["status"] == "complete"
    assert emu.api("DELETE", f"/jobs/{job}").status_code == 204
    assert_ibm_error(emu.api("GET", f"/jobs/{job}"), 404, 1291)

    emu.settings(job_queue_seconds=30)
    queued = submit(emu, sampler_job())
    assert emu.api("POST", f"/jobs/{queued}/cancel").status_code == 204
    assert emu.api("GET", f"/jobs/{queued}").json()["state"]["status"] == "Cancelled"
    assert emu.api("GET", f"/jobs/{queued}/results").status_code == 204


def test_list_jobs_by_tags_with_paging(emu):
    tag = f"aic-{uuid.uuid4().hex[:10]}"
    mine = [submit(emu, sampler_job(tags=[tag, "canary"])) for _ in range(3)]
    submit(emu, sampler_job(tags=["canary"]))
    page = emu.api("GET", "/jobs", params={"tags": [tag, "canary"], "limit": 2}).json()
    assert page["count"] == 3 and page["limit"] == 2 and page["offset"] == 0
    assert [j["id"] for j in page["jobs"]] == mine[::-1][:2]  # newest first
    assert "params" not in page["jobs"][0]
    rest = emu.api("GET", "/jobs", params={"tags": tag, "limit": 2, "offset": 2}).json()
    assert [j["id"] for j in rest["jobs"]] == [mine[0]]
    asc = emu.api("GET", "/jobs", params={"tags": tag, "sort": "ASC"}).json()
    assert [j["id"] for j in asc["jobs"]] == mine
    for job in mine:
        emu.wait_job(job)
    assert emu.api("GET", "/jobs", params={"tags": tag, "pending": "true"}).json()["count"] == 0
    assert emu.api("GET", "/jobs", params={"tags": tag, "pending": "false"}).json()["count"] == 3


def test_a_lost_create_answer_is_found_by_tags_without_a_duplicate(emu):
    tag = f"aic-{uuid.uuid4().hex[:10]}"
    emu.control("POST", "faults", {"method": "POST", "path": "^/api/v1/jobs$", "status": 502, "when": "after"})
    r = emu.api("POST", "/jobs", json=sampler_job(tags=[tag]))
    assert r.status_code == 502  # the job was created, the answer was lost
    found = emu.api("GET", "/jobs", params={"tags": tag}).json()
    assert found["count"] == 1
    assert emu.wait_job(found["jobs"][0]["id"])["state"]["status"] == "Completed"


def test_rate_limiting_answers_429_with_ibms_error_body(emu):
    emu.control("POST", "faults", {"method": "POST", "path": "^/api/v1/jobs$", "status": 429,
                                   "headers": {"Retry-After": "2"}})
    r = emu.api("POST", "/jobs", json=sampler_job())
    assert r.headers["Retry-After"] == "2"
    assert_ibm_error(r, 429)
    emu.settings(jobs_per_minute=1)
    submit(emu, sampler_job())
    r = emu.api("POST", "/jobs", json=sampler_job())
    assert_ibm_error(r, 429)
    assert int(r.headers["Retry-After"]) > 0


# ----- sessions -------------------------------------------------------------------------------
def test_session_lifecycle(emu):
    r = emu.api("POST", "/sessions", json={"mode": "batch", "backend": "ibm_kestrel", "max_ttl": 600})
    assert r.status_code == 200
    session = r.json()
    assert session["state"] == "open" and session["accepting_jobs"] is True
    assert session["mode"] == "batch" and session["max_ttl"] == 600 and session["backend_name"] == "ibm_kestrel"
    sid = session["id"]
    job = submit(emu, sampler_job("ibm_kestrel", session_id=sid))
    assert emu.wait_job(job)["session_id"] == sid
    assert emu.api("GET", f"/sessions/{sid}").json()["state"] == "active"
    assert_ibm_error(emu.api("POST", "/jobs", json=sampler_job("ibm_harrier", session_id=sid)), 400)
    assert emu.api("PATCH", f"/sessions/{sid}", json={"accepting_jobs": False}).status_code == 204
    assert_ibm_error(emu.api("POST", "/jobs", json=sampler_job("ibm_kestrel", session_id=sid)), 400)
    deadline = time.time() + 3
    while emu.api("GET", f"/sessions/{sid}").json()["state"] != "closed":
        assert time.time() < deadline
        time.sleep(0.05)
    assert_ibm_error(emu.api("GET", "/sessions/nosuchsession"), 404)


def test_closing_a_session_cancels_its_queued_jobs(emu):
    sid = emu.api("POST", "/sessions", json={"mode": "dedicated", "backend": "ibm_kestrel"}).json()["id"]
    emu.settings(job_queue_seconds=30)
    job = submit(emu, sampler_job("ibm_kestrel", session_id=sid))
    assert emu.api("DELETE", f"/sessions/{sid}/close").status_code == 204
    assert emu.api("GET", f"/jobs/{job}").json()["state"]["status"] == "Cancelled"
    closed = emu.api("GET", f"/sessions/{sid}").json()
    assert closed["state"] == "closed" and closed["closed_at"]
    assert_ibm_error(emu.api("POST", "/jobs", json=sampler_job("ibm_kestrel", session_id=sid)), 400)
    listed = emu.control("GET", "sessions")["sessions"]
    assert [(s["id"], s["state"]) for s in listed] == [(sid, "closed")]


def test_session_closes_when_its_max_ttl_expires(emu):
    sid = emu.api("POST", "/sessions", json={"mode": "dedicated", "backend": "ibm_kestrel", "max_ttl": 1}).json()["id"]
    emu.wait_job(submit(emu, sampler_job("ibm_kestrel", session_id=sid)))  # activates the session
    time.sleep(1.2)
    doc = emu.api("GET", f"/sessions/{sid}").json()
    assert doc["state"] == "closed" and doc["accepting_jobs"] is False
    assert_ibm_error(emu.api("POST", "/jobs", json=sampler_job("ibm_kestrel", session_id=sid)), 400)
