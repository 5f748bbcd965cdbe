"""The emulator driven by IBM's own client, ``qiskit-ibm-runtime``, unchanged."""

from __future__ import annotations

import math
import time
import uuid

import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import generate_preset_pass_manager

from conftest import CRN


def bell(measure: bool = True) -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    if measure:
        qc.measure_all()
    return qc


def test_start_up_lists_backends_with_their_calibration(service):
    names = {b.name for b in service.backends()}
    assert names == {"ibm_kestrel", "ibm_harrier", "ibm_eyrie", "ibmq_qasm_simulator"}
    eyrie = service.backend("ibm_eyrie")
    assert eyrie.num_qubits == 127
    assert len(eyrie.coupling_map.get_edges()) == 144  # Eagle r3's heavy-hex couplings
    props = eyrie.properties()
    assert 10e-6 < props.t1(0) < 1e-3 and 10e-6 < props.t2(0) < 1e-3
    assert 0 < props.readout_error(0) < 0.2
    assert 0 < props.gate_error("ecr", eyrie.coupling_map.get_edges()[0]) < 0.1
    kestrel = service.backend("ibm_kestrel")
    assert kestrel.configuration().basis_gates == ["cx", "id", "rz", "sx", "x"]
    assert service.backend("ibmq_qasm_simulator").configuration().simulator is True


def test_least_busy_follows_queue_lengths_and_operational_state(service, emu):
    assert service.least_busy().name == "ibmq_qasm_simulator"  # queue 0
    assert service.least_busy(min_num_qubits=6, simulator=False).name == "ibm_harrier"  # 12 < 37
    emu.control("POST", "backends/ibm_harrier", {"queue_length": 500})
    assert service.backend("ibm_harrier").status().pending_jobs == 500
    assert service.least_busy(min_num_qubits=6, simulator=False).name == "ibm_eyrie"
    emu.control("POST", "backends/ibm_eyrie", {"status": "paused", "reason": "maintenance"})
    status = service.backend("ibm_eyrie").status()
    assert status.operational is False and status.status_msg == "maintenance"
    assert "ibm_eyrie" not in {b.name for b in service.backends(operational=True)}
    assert service.least_busy(min_num_qubits=6, simulator=False).name == "ibm_harrier"


def test_bell_state_on_the_noiseless_simulator(service, emu):
    from qiskit_ibm_runtime import SamplerV2

    backend = service.least_busy()
    assert backend.configuration().simulator
    shots = 4000
    pm = generate_preset_pass_manager(optimization_level=1, backend=backend)
    counts = SamplerV2(mode=backend).run([pm.run(bell())], shots=shots).result()[0].data.meas.get_counts()
    assert set(counts) == {"00", "11"}  # noiseless: never 01 or 10
    assert sum(counts.values()) == shots
    assert abs(counts["00"] - shots / 2) < 5 * math.sqrt(shots * 0.25)


def test_bell_state_in_a_session_on_a_noisy_device(service, emu):
    # qiskit-ibm-runtime opens server-side sessions on QPUs only (on a simulator it runs the
    # jobs in job mode), so the session runs on ibm_kestrel, whose noise model flips some shots.
    from qiskit_ibm_runtime import SamplerV2, Session

    backend = service.backend("ibm_kestrel")
    shots = 8192
    with Session(backend=backend, max_time=600) as session:
        assert session.session_id
        pm = generate_preset_pass_manager(optimization_level=1, backend=backend)
        job = SamplerV2(mode=session).run([pm.run(bell())], shots=shots)
        counts = job.result()[0].data.meas.get_counts()
        assert job.session_id == session.session_id
        details = session.details()
        assert details["state"] == "active" and details["backend_name"] == "ibm_kestrel"
        session_id = session.session_id
    correlated = counts.get("00", 0) + counts.get("11", 0)
    assert 0.9 <= correlated / shots < 1.0, counts  # real measurements of a noisy device
    assert abs(counts["00"] - correlated / 2) < 5 * math.sqrt(correlated * 0.25)
    # leaving the context manager stops the session accepting jobs; with none pending it closes
    deadline = time.time() + 5
    while emu.api("GET", f"/sessions/{session_id}").json()["state"] != "closed":
        assert time.time() < deadline, "the session did not close"
        time.sleep(0.05)


def test_estimator_expectation_values_and_standard_deviations(service):
    from qiskit_ibm_runtime import EstimatorV2

    backend = service.backend("ibm_kestrel")
    isa = generate_preset_pass_manager(optimization_level=1, backend=backend).run(bell(measure=False))
    observables = [SparsePauliOp(p).apply_layout(isa.layout) for p in ("ZZ", "XX", "IZ")]
    result = EstimatorV2(mode=backend).run([(isa, observables)], precision=0.02).result()[0]
    zz, xx, iz = result.data.evs
    assert zz > 0.9 and xx > 0.9 and abs(iz) < 0.1
    assert all(0 < s < 0.05 for s in result.data.stds)
    assert result.metadata["target_precision"] == pytest.approx(0.02)


def test_a_circuit_wider_than_the_device_fails_with_ibms_reason(service):
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import RuntimeJobFailureError

    backend = service.backend("ibmq_qasm_simulator")  # the client checks widths only on QPUs
    wide = QuantumCircuit(33)
    wide.h(0)
    wide.measure_all()
    job = SamplerV2(mode=backend).run([wide])
    with pytest.raises(RuntimeJobFailureError) as failure:
        job.result()
    assert "Error code 1516" in str(failure.value)
    assert "Number of qubits (33)" in str(failure.value) and "maximum (32)" in str(failure.value)
    assert job.status() == "ERROR"


def test_cancel_a_queued_job(service, emu):
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import RuntimeInvalidStateError

    emu.settings(job_queue_seconds=30)
    job = SamplerV2(mode=service.backend("ibmq_qasm_simulator")).run([bell()])
    assert job.status() == "QUEUED"
    job.cancel()
    assert emu.api("GET", f"/jobs/{job.job_id()}").json()["state"]["status"] == "Cancelled"
    assert service.job(job.job_id()).status() == "CANCELLED"
    with pytest.raises(RuntimeInvalidStateError):
        service.job(job.job_id()).cancel()  # 409: not cancellable any more


def test_a_job_is_found_again_by_its_tags(service):
    from qiskit_ibm_runtime import SamplerV2

    tag = f"aic-{uuid.uuid4().hex[:12]}"
    sampler = SamplerV2(mode=service.backend("ibmq_qasm_simulator"))
    sampler.options.environment.job_tags = [tag]
    job = sampler.run([bell()])
    SamplerV2(mode=service.backend("ibmq_qasm_simulator")).run([bell()])  # untagged
    found = service.jobs(job_tags=[tag])
    assert [j.job_id() for j in found] == [job.job_id()]


def test_injected_job_failure_reaches_the_client(service, emu):
    from qiskit_ibm_runtime import SamplerV2
    from qiskit_ibm_runtime.exceptions import RuntimeJobFailureError

    emu.control("POST", "fail-next-job", {"reason": "Qubit 3 is faulty.", "reason_code": 1520})
    job = SamplerV2(mode=service.backend("ibmq_qasm_simulator")).run([bell()])
    with pytest.raises(RuntimeJobFailureError, match="Error code 1520; Qubit 3 is faulty."):
        job.result()


def test_token_is_refreshed_after_it_expires(emu, monkeypatch):
    # ibm-cloud-sdk-core treats a token as expired 10 s before its exp claim; a 12 s lifetime
    # makes the client fetch a new one 2 s after the first.
    emu.settings(token_lifetime_seconds=12)
    monkeypatch.setenv("IAM_URL", emu.url)
    monkeypatch.setenv("GLOBAL_SEARCH_URL", emu.url)
    monkeypatch.setenv("GLOBAL_CATALOG_URL", emu.url + "/global-catalog/api/v1")
    from qiskit_ibm_runtime import QiskitRuntimeService

    service = QiskitRuntimeService(
        channel="ibm_quantum_platform", token="refresh-key", instance=CRN,
        url=emu.url, url_resolver=lambda url, instance, private, channel: f"{url}/api/v1",
    )
    service.backend("ibm_kestrel").status()
    fetched = [r for r in emu.requests_log() if r["path"] == "/identity/token"]
    time.sleep(2.5)
    assert service.backend("ibm_kestrel").status().operational
    refetched = [r for r in emu.requests_log() if r["path"] == "/identity/token"]
    assert len(refetched) > len(fetched)
    assert all(r["status"] == 200 for r in emu.requests_log() if r["path"].startswith("/api/v1"))
