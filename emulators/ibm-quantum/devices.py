"""The fake quantum devices the IBM Quantum emulator serves.

Each device is a ``qiskit`` ``GenericBackendV2`` built with a fixed seed, so its calibration
(T1/T2, readout and gate errors, durations) is random-looking but identical on every run. The
coupling maps are the real topologies of IBM's processor families:

* ``ibm_kestrel`` — 5 qubits on a line, Falcon-style basis ``cx id rz sx x``;
* ``ibm_harrier`` — 27 qubits, the heavy-hex map of IBM's 27-qubit Falcon r5.11 devices;
* ``ibm_eyrie`` — 127 qubits, the heavy-hex map of IBM's Eagle r3 devices, directed ``ecr``;
* ``ibmq_qasm_simulator`` — a 32-qubit noiseless simulator (``simulator: true``, no coupling map),
  like the cloud simulator IBM used to offer.

From a device this module derives the three documents the REST API serves: the ``/backends``
list entry, ``/backends/{name}/configuration`` (the ``QasmBackendConfiguration`` JSON shape that
``qiskit-ibm-runtime``'s ``configuration_from_server_data`` reads) and
``/backends/{name}/properties`` (the ``BackendProperties`` JSON shape: per-qubit ``T1``/``T2`` in
µs, ``readout_error``…, per-gate ``gate_error``/``gate_length``). Field names and units follow the
configuration and properties files IBM publishes for its devices (the ``fake_provider`` snapshots
in ``qiskit-ibm-runtime``).
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass, field
from typing import Any

# qiskit's Rust-backed Target is not safe to use from two threads at once (reading a target while
# another thread builds a noise model from it crashed the process), so every use of the qiskit
# objects below — and every job execution — holds this lock.
QISKIT_LOCK = threading.RLock()

# A CRN with the shape of a real Qiskit Runtime instance (us-east) and no real account in it.
DEFAULT_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/0e6a2b5c1f0b4a1e9d3c7b8a6f5e4d3c:"
    "5f2a9c1e-7b3d-4e8f-a1c2-9d0e8f7a6b5c::"
)

FALCON_27_EDGES = [
    (0, 1), (1, 2), (1, 4), (2, 3), (3, 5), (4, 7), (5, 8), (6, 7), (7, 10), (8, 9), (8, 11),
    (10, 12), (11, 14), (12, 13), (12, 15), (13, 14), (14, 16), (15, 18), (16, 19), (17, 18),
    (18, 21), (19, 20), (19, 22), (21, 23), (22, 25), (23, 24), (24, 25), (25, 26),
]

SIMULATOR_BASIS = [
    "id", "x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "rx", "ry", "rz", "p", "u",
    "cx", "cy", "cz", "ecr", "swap", "ccx", "rzz",
]

CONTROL_FLOW = ["if_else", "for_loop", "switch_case", "while_loop"]


def eagle_127_edges() -> list[tuple[int, int]]:
    """The 144 couplings of IBM's Eagle r3: 7 rows of qubits joined by 6 rows of 4 bridge qubits
    (the first row holds columns 0–13, the last 1–14, the others 0–14; bridges sit on columns
    0, 4, 8, 12 below even rows and 2, 6, 10, 14 below odd rows)."""
    edges: set[tuple[int, int]] = set()
    rows: list[dict[int, int]] = []
    bridges: list[list[tuple[int, int]]] = []
    n = 0
    for r in range(7):
        cols = range(0, 14) if r == 0 else range(1, 15) if r == 6 else range(0, 15)
        row = {}
        for c in cols:
            row[c] = n
            n += 1
        rows.append(row)
        for c in cols:
            if c + 1 in row:
                edges.add((row[c], row[c + 1]))
        if r < 6:
            start = 0 if r % 2 == 0 else 2
            bridge_row = []
            for c in range(start, 15, 4):
                bridge_row.append((c, n))
                n += 1
            bridges.append(bridge_row)
    for r, bridge_row in enumerate(bridges):
        for c, q in bridge_row:
            edges.add((rows[r][c], q))
            edges.add((q, rows[r + 1][c]))
    return sorted(edges)


@dataclass
class Device:
    name: str
    num_qubits: int
    basis_gates: list[str]
    edges: list[tuple[int, int]] | None  # undirected pairs; None = all-to-all (simulator)
    simulator: bool = False
    directed: bool = False  # two-qubit gate only in one direction (ecr on Eagle)
    processor_type: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    backend_version: str = "1.0.0"
    online_date: str = "2024-01-15T04:00:00+00:00"
    base_queue: int = 0
    clops: int = 0
    quantum_volume: int | None = None
    description: str = ""
    # Mutable state (control API): status name (online, paused, offline), reason, queue length.
    status: str = "online"
    reason: str = "available"

    def __post_init__(self) -> None:
        self._backend = None
        self._simulator = None
        self.exec_lock = threading.Lock()  # one job at a time on a device, like a real QPU
        self.queue_length = self.base_queue

    # ----- qiskit objects ------------------------------------------------------------------
    def coupling_list(self) -> list[list[int]] | None:
        if self.edges is None:
            return None
        out: list[list[int]] = []
        for a, b in self.edges:
            if self.directed:
                out.append([a, b] if (a + b) % 2 == 0 else [b, a])
            else:
                out.append([a, b])
                out.append([b, a])
        return out

    def backend(self):
        """The ``GenericBackendV2`` behind a QPU device (None for the simulator)."""
        if self.simulator:
            return None
        with QISKIT_LOCK:
            if self._backend is None:
                from qiskit.providers.fake_provider import GenericBackendV2

                self._backend = GenericBackendV2(
                    self.num_qubits,
                    basis_gates=list(self.basis_gates),
                    coupling_map=self.coupling_list(),
                    seed=self.seed,
                )
            return self._backend

    def target(self):
        backend = self.backend()
        return None if backend is None else backend.target

    def aer(self, noiseless: bool = False):
        """The qiskit-aer simulator a job on this device runs on: the device's noise model
        (``AerSimulator.from_backend``), or a noiseless one for the simulator device."""
        from qiskit_aer import AerSimulator

        if self.simulator or noiseless:
            return AerSimulator()
        with QISKIT_LOCK:
            if self._simulator is None:
                self._simulator = AerSimulator.from_backend(self.backend())
            return self._simulator

    @property
    def operational(self) -> bool:
        return self.status == "online"

    # ----- REST documents ------------------------------------------------------------------
    def list_entry(self, pending: int) -> dict[str, Any]:
        """One entry of ``GET /backends`` → ``{"devices": [...]}`` (fields ``qiskit-ibm-runtime``'s
        ``least_busy`` reads: ``name``, ``status.name``, ``qubits``, ``queue_length``)."""
        entry: dict[str, Any] = {
            "name": self.name,
            "status": {"name": self.status, "reason": self.reason},
            "qubits": self.num_qubits,
            "queue_length": self.queue_length + pending,
            "clops": {"type": "hardware" if not self.simulator else "simulator", "value": self.clops},
            "processor_type": self.processor_type,
            "performance_metrics": {},
        }
        if not self.simulator:
            entry["physical_qubits"] = self.num_qubits
        return entry

    def status_doc(self, pending: int) -> dict[str, Any]:
        """``GET /backends/{name}/status``: ``state`` (operational), ``status``, ``message``,
        ``length_queue``, ``backend_version``."""
        if self.operational:
            status, message = "active", self.reason or "available"
        else:
            status = self.reason or self.status
            message = self.reason or self.status
        return {
            "state": self.operational,
            "status": status,
            "message": message,
            "length_queue": self.queue_length + pending,
            "backend_version": self.backend_version,
        }

    def configuration(self) -> dict[str, Any]:
        with QISKIT_LOCK:
            return self._configuration()

    def _configuration(self) -> dict[str, Any]:
        cmap = self.coupling_list()
        basis = list(self.basis_gates)
        gates = []
        for gate in basis:
            params = ["theta"] if gate in ("rz", "rx", "ry", "p", "rzz") else []
            if gate == "u":
                params = ["theta", "phi", "lambda"]
            two = gate in ("cx", "cy", "cz", "ecr", "swap", "rzz")
            three = gate == "ccx"
            entry: dict[str, Any] = {
                "name": gate,
                "parameters": params,
                "qasm_def": f"gate {gate}{'(' + ','.join(params) + ')' if params else ''} "
                + ("a,b,c" if three else "a,b" if two else "q")
                + " { }",
            }
            if cmap is not None:
                entry["coupling_map"] = cmap if two else [[q] for q in range(self.num_qubits)]
            gates.append(entry)
        conf: dict[str, Any] = {
            "backend_name": self.name,
            "backend_version": self.backend_version,
            "n_qubits": self.num_qubits,
            "basis_gates": basis,
            "gates": gates,
            "local": False,
            "simulator": self.simulator,
            "conditional": False,
            "open_pulse": False,
            "memory": True,
            "max_shots": 100000,
            "max_experiments": 300,
            "n_registers": 1,
            "credits_required": True,
            "online_date": self.online_date,
            "description": self.description,
            "supported_instructions": basis + ["delay", "measure", "reset"] + CONTROL_FLOW,
            "supported_features": ["qasm3"],
            "dynamic_reprate_enabled": True,
            "rep_delay_range": [0.0, 500.0],
            "default_rep_delay": 250.0,
            "meas_levels": [1, 2],
            "meas_map": [list(range(self.num_qubits))],
            "multi_meas_enabled": True,
            "parametric_pulses": [],
            "processor_type": self.processor_type,
            "clops_h": self.clops,
            "conditional_latency": [],
            "acquisition_latency": [],
        }
        conf["coupling_map"] = cmap  # null for the simulator: all-to-all
        if self.quantum_volume:
            conf["quantum_volume"] = self.quantum_volume
        if not self.simulator:
            target = self.target()
            conf["dt"] = target.dt * 1e9  # ns, as IBM's configuration files give it
            conf["dtm"] = target.dt * 1e9
            conf["timing_constraints"] = {
                "acquire_alignment": 16, "granularity": 16, "min_length": 64, "pulse_alignment": 16,
            }
            conf["sample_name"] = ", ".join(f"{k}: {v}" for k, v in self.processor_type.items())
        return conf

    def properties(self, when: _dt.datetime) -> dict[str, Any]:
        with QISKIT_LOCK:
            return self._properties(when)

    def _properties(self, when: _dt.datetime) -> dict[str, Any]:
        stamp = when.isoformat()
        props: dict[str, Any] = {
            "backend_name": self.name,
            "backend_version": self.backend_version,
            "last_update_date": stamp,
            "qubits": [],
            "gates": [],
            "general": [],
            "general_qlists": [],
        }
        if self.simulator:
            return props

        def nduv(name: str, unit: str, value: float) -> dict[str, Any]:
            return {"date": stamp, "name": name, "unit": unit, "value": value}

        target = self.target()
        measure = target["measure"]
        for q in range(self.num_qubits):
            qp = target.qubit_properties[q]
            m = measure[(q,)]
            readout = m.error or 0.0
            props["qubits"].append([
                nduv("T1", "us", qp.t1 * 1e6),
                nduv("T2", "us", qp.t2 * 1e6),
                nduv("frequency", "GHz", qp.frequency / 1e9),
                nduv("anharmonicity", "GHz", -0.34),
                nduv("readout_error", "", readout),
                nduv("prob_meas0_prep1", "", min(1.0, readout * 1.2)),
                nduv("prob_meas1_prep0", "", readout * 0.8),
                nduv("readout_length", "ns", (m.duration or 0.0) * 1e9),
            ])
        for gate in self.basis_gates:
            if gate not in target:
                continue
            for qargs, inst in sorted(target[gate].items()):
                if inst is None:
                    continue
                props["gates"].append({
                    "qubits": list(qargs),
                    "gate": gate,
                    "parameters": [
                        nduv("gate_error", "", inst.error or 0.0),
                        nduv("gate_length", "ns", (inst.duration or 0.0) * 1e9),
                    ],
                    "name": gate + "_".join(str(q) for q in qargs),
                })
        if "reset" in target:
            for qargs, inst in sorted(target["reset"].items()):
                props["gates"].append({
                    "qubits": list(qargs),
                    "gate": "reset",
                    "parameters": [nduv("gate_length", "ns", (inst.duration or 0.0) * 1e9)],
                    "name": f"reset{qargs[0]}",
                })
        return props


def default_devices() -> list[Device]:
    return [
        Device(
            name="ibm_kestrel",
            num_qubits=5,
            basis_gates=["cx", "id", "rz", "sx", "x"],
            edges=[(0, 1), (1, 2), (2, 3), (3, 4)],
            processor_type={"family": "Falcon", "revision": "5.11", "segment": "L"},
            seed=5,
            backend_version="1.2.6",
            online_date="2021-04-28T04:00:00+00:00",
            base_queue=4,
            clops=2819,
            quantum_volume=32,
            description="5 qubit device",
        ),
        Device(
            name="ibm_harrier",
            num_qubits=27,
            basis_gates=["cx", "id", "rz", "sx", "x"],
            edges=FALCON_27_EDGES,
            processor_type={"family": "Falcon", "revision": "5.11"},
            seed=27,
            backend_version="1.3.21",
            online_date="2021-07-08T04:00:00+00:00",
            base_queue=12,
            clops=2000,
            quantum_volume=128,
            description="27 qubit device",
        ),
        Device(
            name="ibm_eyrie",
            num_qubits=127,
            basis_gates=["ecr", "id", "rz", "sx", "x"],
            edges=eagle_127_edges(),
            directed=True,
            processor_type={"family": "Eagle", "revision": 3},
            seed=127,
            backend_version="1.6.9",
            online_date="2022-09-14T04:00:00+00:00",
            base_queue=37,
            clops=5000,
            quantum_volume=128,
            description="127 qubit device",
        ),
        Device(
            name="ibmq_qasm_simulator",
            num_qubits=32,
            basis_gates=list(SIMULATOR_BASIS),
            edges=None,
            simulator=True,
            processor_type={},
            seed=0,
            backend_version="0.1.547",
            online_date="2019-05-01T04:00:00+00:00",
            base_queue=0,
            clops=0,
            description="A noiseless qiskit-aer simulator",
        ),
    ]
