"""Running Qiskit Runtime primitive jobs on qiskit-aer, and the two result encodings.

Inputs (``params`` of ``POST /jobs``, IBM's ``JobRunParamsSampler``/``JobRunParamsEstimator``
schemas, and ``ibm-quantum-schemas``' ``SamplerPubModel``/``EstimatorPubModel``):

* a sampler pub is a circuit, or ``[circuit]``, ``[circuit, parameter_values]`` or
  ``[circuit, parameter_values, shots]``; an estimator pub is ``[circuit, observables]``,
  ``[circuit, observables, parameter_values]`` or ``[…, precision]``;
* a circuit is OpenQASM 3 text (what a plain REST client sends; ``OPENQASM 2.0`` text is read too)
  or ``{"__type__": "QuantumCircuit", "__value__": <base64 of zlib of QPY>}`` (what
  ``qiskit-ibm-runtime``'s ``RuntimeEncoder`` sends);
* parameter values are ``null``, a (nested) list of numbers in ``circuit.parameters`` order, an
  object ``{"theta": 1.57, …}`` keyed by parameter name, or ``{"__type__": "ndarray", …}``;
* observables are ``{"ZZ": 1.0, …}`` (Pauli string, qubit 0 rightmost → coefficient), a Pauli
  string, or (nested) lists of those.

Outputs (``GET /jobs/{id}/results``): with ``params.support_qiskit = true`` (what
``qiskit-ibm-runtime`` sends) the ``RuntimeEncoder`` encoding of a ``PrimitiveResult``; otherwise
IBM's "pure JSON" form (``{"results": [{"data": …, "metadata": …}], "metadata": …}``) with sampler
samples as hex strings, as IBM's REST guides show. See README.md for both, byte for byte.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import math
import zlib
from typing import Any

import numpy as np

QASM_PREFIXES = ("OPENQASM", "//", "/*", "include", "qubit", "bit", "qreg", "creg", "gate")


class JobFailure(Exception):
    """A job that ends in state ``Failed`` with IBM's ``reason`` and ``reason_code``."""

    def __init__(self, reason: str, code: int | None = None, solution: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.solution = solution


def _invalid(detail: str) -> JobFailure:
    # IBM's error code registry: 3211 "Job not valid." (seen on real jobs as
    # "Error code 3211; Job not valid. <detail>").
    return JobFailure(f"Job not valid. {detail}", 3211, "Check the job sent, maybe it is wrong.")


# ----- decoding ---------------------------------------------------------------------------------
def decode_ndarray(value: str) -> np.ndarray:
    raw = zlib.decompress(base64.standard_b64decode(value))
    return np.load(io.BytesIO(raw), allow_pickle=False)


def encode_ndarray(array: np.ndarray) -> dict[str, str]:
    buff = io.BytesIO()
    np.save(buff, np.asarray(array), allow_pickle=False)
    return {"__type__": "ndarray", "__value__": base64.standard_b64encode(zlib.compress(buff.getvalue())).decode()}


def decode_circuit(obj: Any):
    from qiskit import qasm2, qasm3, qpy

    if isinstance(obj, dict) and obj.get("__type__") == "QuantumCircuit":
        try:
            raw = zlib.decompress(base64.standard_b64decode(obj["__value__"]))
            circuits = qpy.load(io.BytesIO(raw))
        except Exception as exc:  # noqa: BLE001 - any decoding problem is an invalid job
            raise _invalid(f"Unable to load the QPY circuit: {exc}") from exc
        if len(circuits) != 1:
            raise _invalid(f"Expected exactly one encoded quantum circuit, received {len(circuits)}")
        return circuits[0]
    if isinstance(obj, str):
        text = obj.strip()
        try:
            if text.startswith("OPENQASM 2"):
                return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
            return qasm3.loads(text)
        except Exception as exc:  # noqa: BLE001 - parser errors of every kind
            raise _invalid(f"Failed to parse the OpenQASM program: {exc}") from exc
    raise _invalid("The circuit of a pub must be an OpenQASM string or a QPY-encoded QuantumCircuit.")


def _decode_value(obj: Any) -> Any:
    if isinstance(obj, dict) and obj.get("__type__") == "ndarray":
        value = obj["__value__"]
        return np.asarray(value) if isinstance(value, (list, int, float)) else decode_ndarray(value)
    return obj


def decode_bindings(circuit, obj: Any):
    """Parameter values → ``BindingsArray`` for ``circuit``."""
    from qiskit.primitives.containers.bindings_array import BindingsArray

    obj = _decode_value(obj)
    params = list(circuit.parameters)
    if obj is None or (isinstance(obj, (list, np.ndarray)) and np.size(obj) == 0 and not params):
        return BindingsArray()
    if isinstance(obj, dict):
        by_name = {p.name: p for p in params}
        data = {}
        for name, values in obj.items():
            if name not in by_name:
                raise _invalid(f"Parameter '{name}' is not a parameter of the circuit.")
            data[(by_name[name],)] = np.asarray(values, dtype=float)[..., None]
        return BindingsArray(data=data)
    array = np.asarray(obj, dtype=float)
    if not params:
        raise _invalid("Parameter values were given for a circuit without parameters.")
    if array.ndim == 0 or array.shape[-1] != len(params):
        if array.ndim <= 1 and array.size == len(params):
            array = array.reshape(len(params))
        else:
            raise _invalid(
                f"The parameter values have shape {list(array.shape)} but the circuit has {len(params)} parameters."
            )
    return BindingsArray(data={tuple(params): array})


def decode_observables(obj: Any):
    from qiskit.primitives.containers.observables_array import ObservablesArray

    obj = _decode_value(obj)
    if isinstance(obj, dict) and obj.get("__type__") == "ObservablesArray":
        obj = obj["__value__"]
    try:
        return ObservablesArray.coerce(obj)
    except Exception as exc:  # noqa: BLE001
        raise _invalid(f"Invalid observables: {exc}") from exc


def _coerce_positive(value: Any, kind: type, what: str):
    if value is None:
        return None
    try:
        out = kind(value)
    except (TypeError, ValueError) as exc:
        raise _invalid(f"{what} must be a positive number, got {value!r}.") from exc
    if out <= 0:
        raise _invalid(f"{what} must be positive, got {value!r}.")
    return out


def parse_sampler_pubs(params: dict[str, Any]):
    """``[(circuit, BindingsArray, shots | None)]``."""
    pubs = []
    for raw in params.get("pubs") or []:
        items = raw if isinstance(raw, list) else [raw]
        if not 1 <= len(items) <= 3:
            raise _invalid(f"A sampler pub has 1 to 3 elements, got {len(items)}.")
        circuit = decode_circuit(items[0])
        bindings = decode_bindings(circuit, items[1] if len(items) > 1 else None)
        shots = _coerce_positive(items[2], int, "shots") if len(items) > 2 else None
        pubs.append((circuit, bindings, shots))
    return pubs


def parse_estimator_pubs(params: dict[str, Any]):
    """``[(circuit, ObservablesArray, BindingsArray, precision | None)]``."""
    pubs = []
    for raw in params.get("pubs") or []:
        if not isinstance(raw, list) or not 2 <= len(raw) <= 4:
            raise _invalid("An estimator pub is [circuit, observables, parameter_values?, precision?].")
        circuit = decode_circuit(raw[0])
        observables = decode_observables(raw[1])
        bindings = decode_bindings(circuit, raw[2] if len(raw) > 2 else None)
        precision = _coerce_positive(raw[3], float, "precision") if len(raw) > 3 else None
        pubs.append((circuit, observables, bindings, precision))
    return pubs


def check_pubs_shape(program: str, params: Any) -> None:
    """What ``POST /jobs`` checks before accepting a job (IBM validates the request against its
    JSON schema; circuits themselves are read when the job runs)."""
    if not isinstance(params, dict):
        raise ValueError("'params' must be an object")
    pubs = params.get("pubs")
    if not isinstance(pubs, list) or not pubs:
        raise ValueError("'params.pubs' must be a non-empty array")
    for i, pub in enumerate(pubs):
        if program == "estimator" and (not isinstance(pub, list) or len(pub) < 2):
            raise ValueError(f"'params.pubs[{i}]' must be an array of at least 2 items (circuit, observables)")
        if program == "sampler" and isinstance(pub, list) and not pub:
            raise ValueError(f"'params.pubs[{i}]' must not be empty")
    version = params.get("version", 2)
    if version != 2:
        raise ValueError("'params.version' must be 2")


# ----- running ----------------------------------------------------------------------------------
def _is_isa(circuit, target) -> bool:
    from qiskit.circuit import ControlFlowOp

    if circuit.num_qubits > target.num_qubits:
        return False
    index = {q: i for i, q in enumerate(circuit.qubits)}
    for inst in circuit.data:
        op = inst.operation
        qargs = tuple(index[q] for q in inst.qubits)
        if op.name == "barrier":
            continue
        if isinstance(op, ControlFlowOp):
            for block in op.blocks:
                inner = {bq: qargs[i] for i, bq in enumerate(block.qubits)}
                for binst in block.data:
                    if binst.operation.name == "barrier":
                        continue
                    if not target.instruction_supported(
                        binst.operation.name, tuple(inner[q] for q in binst.qubits)
                    ):
                        return False
            continue
        if not target.instruction_supported(op.name, qargs):
            return False
    return True


def _too_wide(circuit, device) -> JobFailure:
    # The message real jobs fail with (error registry 1516):
    # "Number of qubits (127) in circuit-241006 is greater than maximum (31) in the coupling_map
    #  -- Verify the input circuits and the traspilation options. -- https://ibm.biz/error_codes#1516"
    return JobFailure(
        f"Number of qubits ({circuit.num_qubits}) in {circuit.name} is greater than maximum "
        f"({device.num_qubits}) in the coupling_map -- Verify the input circuits and the "
        "traspilation options. -- https://ibm.biz/error_codes#1516",
        1516,
        "Verify the input circuits and the transpilation options.",
    )


def _prepare(circuit, device, require_isa: bool, seed: int | None):
    """The circuit as the device runs it, and its layout (None when it ran as given)."""
    from qiskit import transpile
    from qiskit.transpiler import generate_preset_pass_manager

    if circuit.num_qubits > device.num_qubits:
        raise _too_wide(circuit, device)
    if device.simulator:
        return transpile(circuit, device.aer(), optimization_level=0), None
    target = device.target()
    if _is_isa(circuit, target):
        return circuit, None
    if require_isa:
        raise JobFailure(
            "The instruction set of the circuits does not match the target definition (non-ISA "
            "circuits). Transpile your circuits for the target before submitting a primitive query.",
            None,
            "Transpile the circuits with the backend's target.",
        )
    pm = generate_preset_pass_manager(optimization_level=1, target=target, seed_transpiler=seed or 0)
    try:
        mapped = pm.run(circuit)
    except Exception as exc:  # noqa: BLE001
        raise JobFailure(f"Error in transpilation process. {exc}", 1003) from exc
    return mapped, mapped.layout


def run_sampler(device, params: dict[str, Any], require_isa: bool, seed: int | None):
    from qiskit.primitives import BackendSamplerV2, PrimitiveResult

    options = params.get("options") or {}
    default_shots = int(params.get("shots") or options.get("default_shots") or 4096)
    sim_options = options.get("simulator") or {}
    seed = sim_options.get("seed_simulator", seed)
    pubs = parse_sampler_pubs(params)
    if not pubs:
        raise _invalid("No pubs.")
    sim = device.aer(noiseless=device.simulator)
    run_pubs = []
    metadata = []
    for circuit, bindings, shots in pubs:
        prepared, _ = _prepare(circuit, device, require_isa, seed)
        if bindings.num_parameters and bindings.num_parameters != prepared.num_parameters:
            raise _invalid("The parameter values do not match the circuit's parameters.")
        run_pubs.append((prepared, bindings if bindings.num_parameters else None, shots or default_shots))
        metadata.append({"circuit_metadata": dict(circuit.metadata or {})})
    sampler = BackendSamplerV2(
        backend=sim, options={"default_shots": default_shots, "seed_simulator": seed}
    )
    start = _dt.datetime.now(_dt.timezone.utc)
    try:
        result = sampler.run(run_pubs).result()
    except Exception as exc:  # noqa: BLE001
        raise JobFailure(f"Error raised when execution on AER failed. {exc}", 5204) from exc
    stop = _dt.datetime.now(_dt.timezone.utc)
    from qiskit.primitives.containers import SamplerPubResult

    pub_results = [
        SamplerPubResult(data=r.data, metadata=metadata[i]) for i, r in enumerate(result)
    ]
    shots_per_pub = [r.data[next(iter(r.data.keys()))].num_shots if len(r.data) else 0 for r in pub_results]
    spans = []
    for i, r in enumerate(pub_results):
        shape = list(r.data.shape)
        spans.append((i, shape + [shots_per_pub[i]], int(np.prod(shape)) if shape else 1, shots_per_pub[i]))
    return PrimitiveResult(pub_results, metadata={"version": 2, "_spans": (start, stop, spans)})


def run_estimator(device, params: dict[str, Any], require_isa: bool, seed: int | None):
    from qiskit.primitives import BackendEstimatorV2, PrimitiveResult
    from qiskit.primitives.containers import PubResult

    options = params.get("options") or {}
    sim_options = options.get("simulator") or {}
    seed = options.get("seed_estimator", sim_options.get("seed_simulator", seed))
    default_precision = float(params.get("precision") or options.get("default_precision") or 0.015625)
    if options.get("default_shots"):
        default_precision = 1 / math.sqrt(int(options["default_shots"]))
    pubs = parse_estimator_pubs(params)
    if not pubs:
        raise _invalid("No pubs.")
    sim = device.aer(noiseless=device.simulator)
    run_pubs = []
    for circuit, observables, bindings, precision in pubs:
        if observables.num_qubits != circuit.num_qubits:
            raise _invalid(
                f"The number of qubits of the observables ({observables.num_qubits}) does not match "
                f"the number of qubits of the circuit ({circuit.num_qubits})."
            )
        prepared, layout = _prepare(circuit, device, require_isa, seed)
        if layout is not None:
            observables = observables.apply_layout(layout, prepared.num_qubits)
        elif prepared.num_qubits != observables.num_qubits:
            observables = observables.apply_layout(list(range(observables.num_qubits)), prepared.num_qubits)
        run_pubs.append((prepared, observables, bindings if bindings.num_parameters else None, precision))
    estimator = BackendEstimatorV2(
        backend=sim, options={"default_precision": default_precision, "seed_simulator": seed}
    )
    try:
        result = estimator.run(run_pubs).result()
    except Exception as exc:  # noqa: BLE001
        raise JobFailure(f"Error raised when execution on AER failed. {exc}", 5204) from exc
    pub_results = []
    for (circuit, _obs, _b, _p), r in zip(pubs, result):
        data = r.data
        evs = np.asarray(data.evs, dtype=float)
        stds = np.asarray(data.stds, dtype=float)
        from qiskit.primitives.containers import DataBin

        new = DataBin(evs=evs, stds=stds, ensemble_standard_error=stds.copy(), shape=evs.shape)
        meta = {
            "shots": int(r.metadata.get("shots", 0)),
            "target_precision": float(r.metadata.get("target_precision", default_precision)),
            "circuit_metadata": dict(circuit.metadata or {}),
            "resilience": {},
            "num_randomizations": 1,
        }
        pub_results.append(PubResult(new, meta))
    return PrimitiveResult(pub_results, metadata={"version": 2})


# ----- encoding ---------------------------------------------------------------------------------
def _dt_json(value: _dt.datetime) -> dict[str, str]:
    return {"__type__": "datetime", "__value__": value.isoformat()}


def encode_qiskit(program: str, result) -> dict[str, Any]:
    """The ``RuntimeEncoder`` form of a ``PrimitiveResult`` (see qiskit-ibm-runtime's
    ``qiskit_ibm_runtime/json.py`` and ``ibm_quantum_schemas`` ``sampler``/``estimator``
    ``PrimitiveResultWrapperModel``)."""
    pubs = []
    for r in result:
        fields: dict[str, Any] = {}
        types = []
        for name, value in r.data.items():
            if program == "sampler":
                fields[name] = {
                    "__type__": "BitArray",
                    "__value__": {"array": encode_ndarray(value.array), "num_bits": value.num_bits},
                }
                types.append("BitArray")
            else:
                fields[name] = encode_ndarray(np.asarray(value))
                types.append("ndarray")
        data = {
            "__type__": "DataBin",
            "__value__": {
                "field_names": list(fields),
                "field_types": types,
                "shape": list(r.data.shape),
                "fields": fields,
            },
        }
        pubs.append({
            "__type__": "SamplerPubResult" if program == "sampler" else "PubResult",
            "__value__": {"data": data, "metadata": dict(r.metadata)},
        })
    metadata = dict(result.metadata)
    spans = metadata.pop("_spans", None)
    if program == "sampler" and spans is not None:
        start, stop, slices = spans
        data_slices = {
            str(i): [shape, 0, n_args, 0, shots] for i, shape, n_args, shots in slices
        }
        metadata = {
            "execution": {
                "execution_spans": {
                    "__type__": "ExecutionSpans",
                    "__value__": {"spans": [{
                        "__type__": "DoubleSliceSpan",
                        "__value__": {"start": _dt_json(start), "stop": _dt_json(stop), "data_slices": data_slices},
                    }]},
                }
            },
            "version": 2,
        }
    elif program == "estimator":
        metadata = {
            "dynamical_decoupling": {"enable": False, "sequence_type": "XX",
                                     "extra_slack_distribution": "middle", "scheduling_method": "alap"},
            "twirling": {"enable_gates": False, "enable_measure": False, "num_randomizations": "auto",
                         "shots_per_randomization": "auto", "interleave_randomizations": True,
                         "strategy": "active-accum"},
            "resilience": {"measure_mitigation": False, "zne_mitigation": False, "pec_mitigation": False},
            "version": 2,
        }
    return {"__type__": "PrimitiveResult", "__value__": {"pub_results": pubs, "metadata": metadata}}


def _hex_samples(bitarray) -> Any:
    """Each shot of a ``BitArray`` as ``"0x…"``: the register's value with clbit i as bit i."""
    ints = bitarray.array.astype(object)
    # packed big-endian bytes per shot → integer
    nbytes = bitarray.array.shape[-1]
    values = np.zeros(bitarray.array.shape[:-1], dtype=object)
    for k in range(nbytes):
        values = values * 256 + ints[..., k]
    return np.vectorize(lambda v: hex(int(v)), otypes=[object])(values).tolist()


def _plain(value: Any) -> Any:
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array.tolist()


def encode_plain(program: str, result) -> dict[str, Any]:
    """IBM's pure-JSON result (``support_qiskit`` false): see README.md."""
    results = []
    for r in result:
        data: dict[str, Any] = {}
        if program == "sampler":
            for name, bits in r.data.items():
                data[name] = {"samples": _hex_samples(bits), "num_bits": bits.num_bits}
        else:
            for name, value in r.data.items():
                data[name] = _plain(value)
        results.append({"data": data, "metadata": dict(r.metadata)})
    metadata = dict(result.metadata)
    spans = metadata.pop("_spans", None)
    out_meta: dict[str, Any] = {"version": 2}
    if spans is not None:
        start, stop, slices = spans
        out_meta["execution"] = {"execution_spans": [{
            "start": start.isoformat(),
            "stop": stop.isoformat(),
            "size": sum(int(np.prod(shape)) for _, shape, _, _ in slices),
            "pub_indices": [i for i, _, _, _ in slices],
        }]}
    return {"results": results, "metadata": out_meta}
