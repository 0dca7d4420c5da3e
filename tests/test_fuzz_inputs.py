"""Property-based checks (hypothesis) of every reader of user files: mutate a valid file, read it.

Each property: the reader either refuses with a one-line :class:`BeamnetError`
naming the file, or returns a valid result that reflects the mutation (a mutated
parameter must change what is read, or be refused); any other exception is a bug
hypothesis reports with the smallest mutation that shows it.

Two hypothesis profiles: ``fast`` (a few dozen examples per reader, the fast suite,
well under a minute) and ``long`` (hundreds per reader, ``@pytest.mark.slow``).
"""
import json
import os
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from beamnet_lava import config as config_mod, families
from beamnet_lava.errors import BeamnetError

# a cast of NaN or 1e30 to an integer is how a reader silently makes garbage: make it fail
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

settings.register_profile("fast", max_examples=20, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
settings.register_profile("long", max_examples=400, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow])
FAST, LONG = settings.get_profile("fast"), settings.get_profile("long")

# values a hostile or damaged file may hold where a number belongs
BAD = st.sampled_from([np.nan, np.inf, -np.inf, -1, 0, 1, 3, -3, 0.5, 2.5, 1e6, 1e30, -1e30, 2**40,
                       True, "sixteen", ""])


def refused_or_valid(read, path):
    """``read(path)``: a one-line BeamnetError naming ``path`` -> None; else the result."""
    try:
        return read(path)
    except BeamnetError as exc:
        msg = str(exc)
        assert "\n" not in msg, msg
        assert str(path) in msg or "config:" in msg, msg
        return None


# -- HDF5 mutations -----------------------------------------------------------------------------

def _as_array(value, like: np.ndarray) -> np.ndarray:
    if isinstance(value, str):
        return np.array([value.encode()] * max(1, like.size)).reshape(like.shape or (1,))
    return np.full(like.shape, value, dtype=np.float64)


@st.composite
def h5_mutation(draw, keys: list[str], attrs: list[str]):
    """One edit of an HDF5 file: a dataset poked, filled, reshaped, retyped or dropped,
    or a root attribute set to a bad value or dropped."""
    if attrs and draw(st.booleans()):
        return ("attr", draw(st.sampled_from(attrs)), draw(st.sampled_from(["set", "drop"])), draw(BAD))
    key = draw(st.sampled_from(keys))
    how = draw(st.sampled_from(["poke", "fill", "flatten", "trim", "scalar", "drop"]))
    return ("data", key, how, draw(BAD), draw(st.integers(0, 10**6)))


# NetX fields with defaults (a dense layer's size defaults to its weight's rows)
OPTIONAL = ("inFeatures", "outFeatures", "refDelay", "gradedSpike", "shape")


def apply_h5(src: Path, dst: Path, mutation) -> bool:
    """Write ``src`` edited by ``mutation`` to ``dst``; False when the edit changed nothing."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        if mutation[0] == "attr":
            _, name, how, value = mutation
            before = f.attrs.get(name)
            if how == "drop":
                if name not in f.attrs:
                    return False
                del f.attrs[name]
                return True
            f.attrs[name] = value
            return before is None or isinstance(before, (str, bytes)) != isinstance(value, str) \
                or not np.array_equal(np.asarray(before), np.asarray(value))
        _, key, how, value, index = mutation
        old = np.asarray(f[key][()])
        if how == "drop":
            del f[key]
            return key.rsplit("/", 1)[-1] not in OPTIONAL

        if how == "poke" and old.size and old.dtype.kind in "biuf" and not isinstance(value, str):
            new = old.astype(np.float64).copy()
            new.flat[index % old.size] = value
        elif how == "fill":
            new = _as_array(value, old)
        elif how == "flatten":
            new = old.reshape(-1)
        elif how == "trim":
            new = old.reshape(-1)[:-1] if old.ndim <= 1 else old[:-1]
        else:
            new = np.asarray(value.encode() if isinstance(value, str) else value)
        del f[key]
        f[key] = new
        if new.size == old.size and new.dtype.kind == old.dtype.kind:   # a reshape changes nothing
            return not np.array_equal(new.reshape(-1), old.reshape(-1))
        if new.size == old.size and {new.dtype.kind, old.dtype.kind} <= set("biuf"):
            # same numbers in another numeric type (True for 1, 1.0 for 1): no change in value
            return not np.array_equal(new.reshape(-1).astype(np.float64), old.reshape(-1).astype(np.float64))
        return True


def _netx_print(net) -> tuple:
    return (tuple(sorted((k, str(v)) for k, v in net.attrs.items())),
            tuple((l.kind, l.size, l.v_th_mant, l.i_decay, l.v_decay,
                   None if l.weight is None else l.weight.tobytes()) for l in net.layers))


def _beamnet_print(bf) -> tuple:
    return (json.dumps(bf.config.to_dict(), sort_keys=True), bf.weight.tobytes(), bf.delay.tobytes(),
            str(bf.params), bf.readout_logits.tobytes(), bf.alpha_0, bf.eta, bf.patterns.tobytes(),
            bf.pattern_class.tobytes(), bf.key_span, bf.probe_temperature)


def _brf_print(b) -> tuple:
    layers = b.layers
    return (tuple(sorted((k, str(v)) for k, v in b.attrs.items())),
            json.dumps(b.config.to_dict(), sort_keys=True), layers["alpha"],
            layers["neuron"].omega_dt.tobytes(), layers["neuron"].b_dt.tobytes(),
            layers["neuron"].delta_int, layers["neuron"].balanced,
            *[(layers[k][0].tobytes(), layers[k][1]) for k in ("weight", "weight_rec", "weight_out")])


def _keys(path: Path) -> list[str]:
    keys: list[str] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: keys.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(keys)


def _check_mutated_file(src: Path, read, fingerprint, mutation, valid=None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "mutated.net"
        changed = apply_h5(src, dst, mutation)
        result = refused_or_valid(read, dst)
        if result is None:
            return
        if valid is not None:
            valid(result)
        if changed:   # accepted: what was read must differ from the original
            assert fingerprint(result) != fingerprint(read(src)), f"{mutation} was silently ignored"


def _netx_property(tiny_net, mutation):
    from beamnet_lava.netx_export.netx_file import read_netx

    def valid(net):
        for l in net.layers:
            assert 0 < l.v_th_mant and 0 <= l.i_decay <= 4096 and 0 <= l.v_decay <= 4096
            assert l.weight is None or (np.abs(l.weight) <= 256).all()
        for key in ("time_steps", "n_classes"):
            assert key not in net.attrs or (isinstance(net.attrs[key], int) and net.attrs[key] >= 1)
        assert "temperature" not in net.attrs or 0 < net.attrs["temperature"] < np.inf

    _check_mutated_file(tiny_net, read_netx, _netx_print, mutation, valid)


def _beamnet_property(shared_beamnet_net, mutation):
    from beamnet_lava.netx_export.beamnet_file import read_beamnet

    def read(path):
        bf = read_beamnet(path)
        bf.to_model()          # what a run builds: a disagreement with the config is refused here
        return bf

    def valid(bf):
        assert np.isfinite(bf.readout_logits).all() and bf.eta > 0 and bf.alpha_0 > 0
        assert bf.key_span == bf.config.max_windows * bf.config.time_steps

    _check_mutated_file(shared_beamnet_net, read, _beamnet_print, mutation, valid)


def _brf_property(shared_brf_net, mutation):
    from beamnet_lava.netx_export.brf_file import read_brf

    _check_mutated_file(shared_brf_net, read_brf, _brf_print, mutation)


NETX_ATTRS = ["time_steps", "n_classes", "seed", "temperature", "dataset", "encoding",
              "event_downsample", "event_polarity", "event_window_ms", "beamnet_format"]


def _given_h5(fixture_name: str, attrs: list[str], prop, profile, slow: bool):
    """One hypothesis test of ``prop`` over mutations of the file of ``fixture_name``."""
    @settings(profile)
    @given(data=st.data())
    def test(request, data):
        path = request.getfixturevalue(fixture_name)
        mutation = data.draw(h5_mutation(_keys(path), attrs), label="mutation")
        prop(path, mutation)
    return pytest.mark.slow(test) if slow else test


test_netx_mutations = _given_h5("tiny_net", NETX_ATTRS, _netx_property, FAST, False)
test_netx_mutations_long = _given_h5("tiny_net", NETX_ATTRS, _netx_property, LONG, True)
test_beamnet_mutations = _given_h5("shared_beamnet_net", NETX_ATTRS, _beamnet_property, FAST, False)
test_beamnet_mutations_long = _given_h5("shared_beamnet_net", NETX_ATTRS, _beamnet_property, LONG, True)
BRF_ATTRS = NETX_ATTRS + ["input_levels", "model"]
test_brf_mutations = _given_h5("shared_brf_net", BRF_ATTRS, _brf_property, FAST, False)
test_brf_mutations_long = _given_h5("shared_brf_net", BRF_ATTRS, _brf_property, LONG, True)


# -- extension config_json -----------------------------------------------------------------------

YAML_VALUES = st.one_of(BAD, st.text(max_size=8), st.none(), st.lists(BAD, max_size=3),
                        st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True))


def _config_json_property(shared_beamnet_net, key, value):
    from beamnet_lava.netx_export.beamnet_file import read_beamnet

    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / "mutated.net"
        shutil.copy(shared_beamnet_net, dst)
        with h5py.File(dst, "r+") as f:
            cfg = json.loads(f["beamnet"].attrs["config_json"])
            old = cfg.get(key)
            cfg[key] = value
            f["beamnet"].attrs["config_json"] = json.dumps(cfg)
        bf = refused_or_valid(lambda p: read_beamnet(p).to_model() and read_beamnet(p), dst)
        same = old == value and isinstance(old, bool) == isinstance(value, bool)
        if bf is not None and not same:
            assert bf.config.to_dict()[key] != old, f"{key}={value!r} silently ignored"


@pytest.fixture(scope="module")
def beamnet_config_keys():
    return sorted(config_mod.BeamnetConfig().to_dict())


def _given_config_json(profile, slow):
    @settings(profile)
    @given(data=st.data())
    def test(shared_beamnet_net, beamnet_config_keys, data):
        key = data.draw(st.sampled_from(beamnet_config_keys), label="key")
        _config_json_property(shared_beamnet_net, key, data.draw(YAML_VALUES, label="value"))
    return pytest.mark.slow(test) if slow else test


test_beamnet_config_json_mutations = _given_config_json(FAST, False)
test_beamnet_config_json_mutations_long = _given_config_json(LONG, True)


# -- checkpoints ---------------------------------------------------------------------------------

CHECKPOINT_FIELDS = ["epoch", "val_accuracy", "sizes", "format", "calibration", "tensor", "config"]


def _checkpoint_property(tiny_run, field, value, index, key_index):
    from beamnet_lava.training.checkpoint import CHECKPOINT, load_run

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        shutil.copytree(tiny_run, run)
        state = torch.load(run / CHECKPOINT, weights_only=True)
        v = value.encode().decode() if isinstance(value, str) else value
        if field == "tensor":
            name = sorted(state["state_dict"])[key_index % len(state["state_dict"])]
            t = state["state_dict"][name].clone().double()
            if isinstance(v, str):
                state["state_dict"][name] = v
            else:
                t.view(-1)[index % t.numel()] = float(v)
                state["state_dict"][name] = t.to(state["state_dict"][name].dtype)
        elif field == "calibration":
            state["calibration"] = {"temperature": v}
        elif field == "config":
            keys = sorted(state["config"])
            state["config"][keys[key_index % len(keys)]] = v
        elif field == "sizes":
            sizes = list(state["sizes"])
            sizes[index % len(sizes)] = v
            state["sizes"] = sizes
        else:
            state[field] = v
        torch.save(state, run / CHECKPOINT)
        loaded = refused_or_valid(load_run, run)
        if loaded is None:
            return
        assert isinstance(loaded.epoch, int) and 0 <= loaded.val_accuracy <= 1
        assert all(np.isfinite(v) and v > 0 for v in loaded.calibration.values())
        for p in loaded.model.state_dict().values():
            assert not p.is_floating_point() or bool(torch.isfinite(p).all())


def _given_checkpoint(profile, slow):
    @settings(profile)
    @given(field=st.sampled_from(CHECKPOINT_FIELDS), value=BAD, index=st.integers(0, 10**6),
           key_index=st.integers(0, 100))
    def test(tiny_run, field, value, index, key_index):
        _checkpoint_property(tiny_run, field, value, index, key_index)
    return pytest.mark.slow(test) if slow else test


test_checkpoint_mutations = _given_checkpoint(FAST, False)
test_checkpoint_mutations_long = _given_checkpoint(LONG, True)


# -- YAML configs --------------------------------------------------------------------------------

def _yaml_property(model, key, value, raw):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        if raw is not None:
            path.write_bytes(raw)
        else:
            d = {"model": model, key: value}
            path.write_text(yaml.safe_dump(d, allow_unicode=True))
        cfg = refused_or_valid(config_mod.load, path)
        if cfg is None or raw is not None:
            return
        got = cfg.to_dict()[key]
        want = list(value) if isinstance(value, tuple) else value
        default = config_mod.default_for(model).to_dict()[key]
        # accepted: the value read is the value written (numbers compare by value: 3 == 3.0)
        assert got == want or (key == "time_steps" and want == 0 and got == default), (key, value, got)


def _given_yaml(profile, slow):
    @settings(profile)
    @given(data=st.data())
    def test(data):
        model = data.draw(st.sampled_from(families.names(trained_only=True)), label="model")
        keys = sorted(config_mod.default_for(model).to_dict())
        key = data.draw(st.sampled_from(keys), label="key")
        raw = data.draw(st.one_of(st.none(), st.binary(max_size=64)), label="raw")
        _yaml_property(model, key, data.draw(YAML_VALUES, label="value"), raw)
    return pytest.mark.slow(test) if slow else test


test_yaml_config_mutations = _given_yaml(FAST, False)
test_yaml_config_mutations_long = _given_yaml(LONG, True)


# -- N-MNIST and SHD files -----------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def _private_event_cache(tmp_path_factory):
    old = os.environ.get("BEAMNET_LAVA_CACHE")
    os.environ["BEAMNET_LAVA_CACHE"] = str(tmp_path_factory.mktemp("event-cache"))
    yield
    if old is None:
        os.environ.pop("BEAMNET_LAVA_CACHE")
    else:
        os.environ["BEAMNET_LAVA_CACHE"] = old


def _nmnist_property(files: list[bytes]):
    from beamnet_lava.data.events import read_nmnist

    with tempfile.TemporaryDirectory() as tmp:
        for i, body in enumerate(files):
            folder = Path(tmp) / "NMNIST" / ("Train" if i % 2 == 0 else "Test") / str(i % 10)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i:05d}.bin").write_bytes(body)
        es = refused_or_valid(read_nmnist, Path(tmp))
        if es is None:
            return
        assert len(es.labels) == len(files)
        assert (es.x < 34).all() and (es.y < 34).all() and (np.asarray(es.t) >= 0).all()
        assert es.offsets[-1] == len(es.x)


def _given_nmnist(profile, slow):
    @settings(profile)
    @given(files=st.lists(st.binary(max_size=40), min_size=1, max_size=4))
    def test(files):
        _nmnist_property(files)
    return pytest.mark.slow(test) if slow else test


test_nmnist_files = _given_nmnist(FAST, False)
test_nmnist_files_long = _given_nmnist(LONG, True)


def _shd_property(times, units, labels):
    from beamnet_lava.data.events import read_shd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "SHD"
        folder.mkdir()
        with h5py.File(folder / "shd_train.h5", "w") as f:
            n = len(labels)
            t = f.create_dataset("spikes/times", (n,), dtype=h5py.vlen_dtype(np.float32))
            u = f.create_dataset("spikes/units", (n,), dtype=h5py.vlen_dtype(np.uint16))
            for i in range(n):
                t[i] = np.asarray(times[i % len(times)], np.float32)
                u[i] = np.asarray(units[i % len(units)], np.uint16)
            f["labels"] = np.asarray(labels, dtype=np.float64)
            f["extra/keys"] = np.array([b"a", b"b"])
            f["extra/speaker"] = np.zeros(n, dtype=np.uint16)
        (folder / "shd_train.h5.zip").write_bytes(b"")
        es = refused_or_valid(read_shd, Path(tmp))
        if es is None:
            return
        assert (es.x < 700).all() and (np.asarray(es.t) >= 0).all() and (es.labels >= 0).all()


def _given_shd(profile, slow):
    floats = st.floats(allow_nan=True, allow_infinity=True, width=32)

    @settings(profile, max_examples=max(6, profile.max_examples // 4))   # tonic's SHD: ~1 s each
    @given(times=st.lists(st.lists(floats, max_size=5), min_size=1, max_size=3),
           units=st.lists(st.lists(st.integers(0, 65535), max_size=5), min_size=1, max_size=3),
           labels=st.lists(st.one_of(st.integers(-3, 30), floats), min_size=1, max_size=3))
    def test(times, units, labels):
        _shd_property(times, units, labels)
    return pytest.mark.slow(test) if slow else test


test_shd_files = _given_shd(FAST, False)
test_shd_files_long = _given_shd(LONG, True)


# -- issue 30: inspect, import, run --inputs, ingest -----------------------------------------------

def _mutated_file(src: Path, mutation, read, valid=None) -> None:
    """``read`` the file ``src`` edited by ``mutation``: refused in one line, or valid."""
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / ("mutated" + src.suffix)
        apply_h5(src, dst, mutation)
        result = refused_or_valid(read, dst)
        if result is not None and valid is not None:
            valid(result, Path(tmp))


def _inspect_property(tiny_net, mutation):
    from beamnet_lava.deploy.fit import inspect_file

    def valid(report, _):
        d = report.to_dict()
        json.dumps(d)                                    # what --json writes
        assert report.layers and all(l.neurons >= 1 or l.kind == "flatten" for l in report.layers)
        assert report.verdict

    _mutated_file(tiny_net, mutation, inspect_file, valid)


@pytest.fixture(scope="module")
def tiny_nir(tiny_net, tmp_path_factory):
    from beamnet_lava.nir.bridge import export_nir

    path = tmp_path_factory.mktemp("fuzz-nir") / "tiny.nir"
    export_nir(tiny_net, path)
    return path


def _import_property(tiny_nir, mutation):
    from beamnet_lava.netx_export.netx_file import read_netx
    from beamnet_lava.nir.bridge import import_nir

    def read(path):
        out = path.with_name("imported.net")
        try:
            return import_nir(path, out)
        finally:
            assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]

    def valid(imported, tmp):
        net = read_netx(tmp / "imported.net")            # what was published runs on Lava
        assert net.layers and all(l.size >= 1 for l in net.layers)
        assert 0 < imported.dt < np.inf

    _mutated_file(tiny_nir, mutation, read, valid)


test_inspect_mutations = _given_h5("tiny_net", NETX_ATTRS, _inspect_property, FAST, False)
test_inspect_mutations_long = _given_h5("tiny_net", NETX_ATTRS, _inspect_property, LONG, True)
test_import_mutations = _given_h5("tiny_nir", [], _import_property, FAST, False)
test_import_mutations_long = _given_h5("tiny_nir", [], _import_property, LONG, True)


# run --inputs: arrays of any dtype and shape, and damaged .npy headers

NPY_DTYPES = st.sampled_from(["|b1", "|u1", "<i2", "<i8", ">i4", "<f4", "<f8", "<c8", "<U2", "|S1", "|O",
                              "<M8[s]", [("a", "<i4")], ("<i4", (2,))])


def _npy_bytes(draw_header, data: bytes) -> bytes:
    from numpy.lib import format as npy
    import io

    buf = io.BytesIO()
    npy.write_array_header_1_0(buf, draw_header)
    return buf.getvalue() + data


@st.composite
def npy_files(draw):
    """A .npy file: a real array of some dtype/shape/values, a header declaring a shape its data
    does not hold, or a damaged header."""
    kind = draw(st.sampled_from(["array", "header", "raw"]))
    if kind == "raw":
        return draw(st.binary(max_size=200)) if draw(st.booleans()) else \
            b"\x93NUMPY\x01\x00" + draw(st.binary(max_size=120))
    shape = tuple(draw(st.lists(st.integers(0, 5) if kind == "array" else st.integers(0, 10**9),
                                min_size=0, max_size=4)))
    descr = draw(NPY_DTYPES)
    if kind == "header":
        return _npy_bytes({"descr": descr, "fortran_order": draw(st.booleans()), "shape": shape},
                          draw(st.binary(max_size=64)))
    dtype = np.dtype(descr if not isinstance(descr, list) else descr)
    values = draw(st.sampled_from([0, 1, 2, -1, 0.5]))
    arr = np.zeros(shape, dtype=dtype) if dtype.kind in "OMSUV" or dtype.subdtype else \
        np.full(shape, values).astype(dtype)
    import io
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _inputs_property(body: bytes) -> None:
    from beamnet_lava.sim_cpu.spike_inputs import load_spikes

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        path.write_bytes(body)
        spikes = refused_or_valid(load_spikes, path)
        if spikes is None:
            return
        assert spikes.ndim == 3 and 0 not in spikes.shape and spikes.dtype == np.uint8
        assert set(np.unique(spikes)) <= {0, 1}


def _given_inputs(profile, slow):
    @settings(profile)
    @given(body=npy_files())
    def test(body):
        _inputs_property(body)
    return pytest.mark.slow(test) if slow else test


test_run_inputs_files = _given_inputs(FAST, False)
test_run_inputs_files_long = _given_inputs(LONG, True)


@pytest.mark.slow
@settings(LONG, max_examples=12)           # each accepted file is a real Lava run (~5 s)
@given(body=npy_files())
def test_run_inputs_cli_long(tiny_net, body):
    """The whole verb: `run FILE --inputs x.npy` exits 0 or 1 with one line, never a traceback."""
    from typer.testing import CliRunner

    from beamnet_lava.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        path.write_bytes(body)
        r = CliRunner().invoke(app, ["run", str(tiny_net), "--inputs", str(path), "--json", "-"])
        assert r.exit_code in (0, 1) and "Traceback" not in r.output, r.output
        if r.exit_code == 1:
            assert r.output.count("error:") == 1 and str(path) in " ".join(r.output.split()), r.output


# ingest: every field of results.json and bundle.json

@pytest.fixture(scope="module")
def fuzz_bundle(tiny_net, tmp_path_factory):
    from beamnet_lava.deploy.bundle import write_bundle

    out = tmp_path_factory.mktemp("fuzz-bundle") / "job"
    write_bundle(tiny_net, out, samples=3)
    meta = json.loads((out / "bundle.json").read_text())
    counts = np.load(out / "expected_output_spikes.npy").sum(-1)
    results = {"bundle": meta["name"], "network_sha256": meta["network_sha256"], "backend": "loihi2",
               "measured_on": "Loihi 2 via lava-loihi", "labels": np.load(out / "labels.npy").tolist(),
               "n_samples": 3, "time_steps": meta["time_steps"], "output_counts": counts.tolist(),
               "predictions": counts.argmax(1).tolist(),
               "agreement": {"spike_trains": 1.0, "counts": 1.0, "predictions": 1.0},
               "host_fallbacks": [], "partition": None, "per_core_table": None,
               "energy": {"time_per_step_us": 10.0,
                          "energy_per_inference_mJ": {"total": 0.2, "dynamic": 0.05}}}
    return out, meta, results


JSON_VALUES = st.one_of(BAD, st.none(), st.text(max_size=6), st.lists(BAD, max_size=3),
                        st.dictionaries(st.sampled_from(["total", "dynamic", "spike_trains", "x"]), BAD,
                                        max_size=3),
                        st.lists(st.lists(st.integers(-2, 40), max_size=11), max_size=4))


def _ingest_property(fuzz_bundle, which: str, key: str, value, drop: bool) -> None:
    from beamnet_lava.deploy.ingest import ingest
    from beamnet_lava.evaluation.compare import compare

    src, meta, results = fuzz_bundle
    with tempfile.TemporaryDirectory() as tmp:
        b = Path(tmp) / "job"
        shutil.copytree(src, b)
        doc = dict(meta if which == "bundle.json" else results)
        if drop:
            doc.pop(key, None)
        else:
            doc[key] = value.encode().decode() if isinstance(value, str) else value
        (b / "bundle.json").write_text(json.dumps(doc if which == "bundle.json" else meta))
        (b / "results.json").write_text(json.dumps(doc if which == "results.json" else results))
        out = Path(tmp) / "rec"
        try:
            m = ingest(b / "results.json", out)
        except BeamnetError as exc:
            assert "\n" not in str(exc) and str(b) in str(exc), str(exc)
            assert not out.exists(), "a refused ingest left records behind"
            return
        assert 0 <= m["accuracy"] <= 1 and m["n_samples"] == 3
        rows = compare([Path(r) for r in m["records"]])      # what was written reads back
        for r in rows:
            assert 0 <= r["accuracy"] <= 1 and np.isfinite(r["nll"]) and np.isfinite(r["ece"])


def _given_ingest(profile, slow):
    @settings(profile)
    @given(data=st.data())
    def test(fuzz_bundle, data):
        which = data.draw(st.sampled_from(["results.json", "bundle.json"]), label="file")
        doc = fuzz_bundle[1] if which == "bundle.json" else fuzz_bundle[2]
        key = data.draw(st.sampled_from(sorted(doc)), label="key")
        _ingest_property(fuzz_bundle, which, key, data.draw(JSON_VALUES, label="value"),
                         data.draw(st.booleans(), label="drop"))
    return pytest.mark.slow(test) if slow else test


test_ingest_fields = _given_ingest(FAST, False)
test_ingest_fields_long = _given_ingest(LONG, True)
