"""The one NetX HDF5 writer: every exporter and the NIR importer write their files through it.

A :class:`NetxWriter` builds the file in memory (a full disk fails one plain write at
publish, never half a file) from

- layer groups ``/layer/<i>`` in lava-dl's own format, field for field what lava-dl 0.6's
  slayer blocks write in their ``export_hdf5`` (``lava/lib/dl/slayer/block/base.py``):
  :meth:`~NetxWriter.input`, :meth:`~NetxWriter.dense` (also ``dense_rec``),
  :meth:`~NetxWriter.conv`, :meth:`~NetxWriter.pool`, :meth:`~NetxWriter.flatten`, or a
  slayer block's own ``export_hdf5`` (:meth:`~NetxWriter.slayer_block`); the layer ``type``
  is stored as slayer stores it (a 1-element ``S10`` array);
- neuron groups ``<layer>/neuron``: :func:`cuba` (slayer ``cuba.Neuron.device_params``) and the
  project's extension neurons (:func:`bayes_lif`, :func:`resonator`, :func:`leaky_readout`), or
  any :class:`Neuron`;
- extension groups ``/<name>`` with ``extension_version`` and ``config_json`` attributes
  (:meth:`~NetxWriter.extension`);
- root attributes (:meth:`~NetxWriter.attrs`, :meth:`~NetxWriter.stamp`);

and publishes it atomically (:meth:`~NetxWriter.publish`: :func:`beamnet_lava.io_utils.atomic_path`,
so special files are never clobbered, an existing file is replaced only with ``force``) once a
read-back accepts it: the caller's validating reader, and, for files lava-dl can build
(:func:`lavadl_buildable`), optionally lava-dl's own ``netx.hdf5.Network`` (:func:`lavadl_network`).

Arrays are written with the dtype they are given (``np.asarray``): the writer never rounds,
casts or clips; validating values is the readers' job (``netx_file``, the extension readers).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import h5py
import numpy as np

from beamnet_lava.errors import BeamnetError

#: how slayer's export_hdf5 stores a layer's ``type``: ``create_dataset('type', (1,), 'S10', [...])``
LAYER_TYPE_DTYPE = "S10"
#: layer kinds lava-dl 0.6's ``netx.hdf5.Network`` builds (``_create``); pool/convT/unpool/average/
#: concat raise NotImplementedError there
LAVADL_LAYERS = ("input", "dense", "dense_rec", "conv", "flatten")
#: neuron types lava-dl's ``get_neuron_params`` builds (besides its own SDNN and RF kinds)
LAVADL_NEURONS = ("CUBA", "LOIHI")


@dataclass
class Neuron:
    """A NetX ``neuron`` group: its ``type`` and further fields, written in this order."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)

    def items(self) -> list[tuple[str, Any]]:
        return [("type", self.type), *self.fields.items()]


def cuba(v_th_mant: int, i_decay: int, v_decay: int, *, ref_delay: int | None = 1,
         graded_spike: bool | None = False, type: str = "CUBA") -> Neuron:
    """Loihi's CUBA neuron as slayer's ``cuba.Neuron.device_params`` writes it (``type``,
    ``iDecay``, ``vDecay``, ``vThMant``, ``refDelay``, ``gradedSpike``); ``None`` leaves a
    field out. ``type`` names a CUBA-compatible extension neuron (BEAM-Net's Bayesian LIF)."""
    fields = {"iDecay": i_decay, "vDecay": v_decay, "vThMant": v_th_mant}
    if ref_delay is not None:
        fields["refDelay"] = ref_delay
    if graded_spike is not None:
        fields["gradedSpike"] = graded_spike
    return Neuron(type, fields)


def bayes_lif(v_th_mant: int, i_decay: int, v_decay: int, type: str = "BEAMNET_BAYES_LIF") -> Neuron:
    """BEAM-Net's Bayesian LIF memory neuron: the CUBA part lava-dl-style readers need (the noise,
    threshold and inhibition parameters live in the ``/beamnet`` extension group)."""
    return cuba(v_th_mant, i_decay, v_decay, ref_delay=1, graded_spike=None, type=type)


def resonator(type: str, omega_dt: np.ndarray, b_dt: np.ndarray, frac_bits: int, delta_int: int,
              q_decay: int) -> Neuron:
    """A BRF / RF resonator neuron in fixed point (docs/brf.md)."""
    return Neuron(type, {"omega_dt": omega_dt, "b_dt": b_dt, "frac_bits": frac_bits,
                         "delta_int": delta_int, "q_decay": q_decay})


def leaky_readout(alpha: Any, frac_bits: int, type: str = "LEAKY_INTEGRATOR_READOUT") -> Neuron:
    """The BRF networks' leaky-integrator readout neuron (docs/brf.md)."""
    return Neuron(type, {"alpha": alpha, "frac_bits": frac_bits})


def _shape(shape: int | Sequence[int]) -> np.ndarray:
    return np.array([int(shape)] if np.isscalar(shape) else [int(s) for s in shape])


class NetxWriter:
    """One NetX file being built in memory; layers are numbered in the order they are added."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self.file = h5py.File(self._buffer, "w")
        self._layers = self.file.create_group("layer")
        self.kinds: list[str] = []

    def __enter__(self) -> "NetxWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drop the in-memory file (nothing is written anywhere); publish or getvalue first."""
        if self.file.id.valid:
            self.file.close()

    # -- layers ---------------------------------------------------------------------------
    def _new_layer(self) -> h5py.Group:
        if not self.file.id.valid:
            raise ValueError("this NetxWriter's file is finished (published or closed); start a new one")
        return self._layers.create_group(str(len(self.kinds)))

    def layer(self, kind: str) -> h5py.Group:
        """A new ``/layer/<i>`` group holding only its ``type`` (for fields of your own)."""
        g = self._new_layer()
        g.create_dataset("type", (1,), LAYER_TYPE_DTYPE, [kind.encode("ascii")])
        self.kinds.append(kind)
        return g

    @staticmethod
    def neuron(group: h5py.Group, neuron: Neuron) -> None:
        """Write ``neuron`` as ``group/neuron/<field>`` datasets (slayer: ``neuron/{key}``)."""
        for key, value in neuron.items():
            group.create_dataset(f"neuron/{key}", data=value)

    @staticmethod
    def fields(group: h5py.Group, values: dict[str, Any] | None) -> None:
        """Further datasets of a layer (``weight_exp``, ...), in order; ``None`` values skipped."""
        for key, value in (values or {}).items():
            if value is not None:
                group.create_dataset(key, data=value)

    def input(self, shape: int | Sequence[int], neuron: Neuron | None = None, *,
              weight: Any = None, bias: Any = None) -> h5py.Group:
        """``type='input'``: ``shape`` (slayer's order, e.g. C, H, W... as the block's shape)
        and, for an input layer with neurons, ``weight``/``bias`` and the neuron group."""
        g = self.layer("input")
        g.create_dataset("shape", data=_shape(shape))
        if neuron is not None:
            if weight is not None:
                g.create_dataset("weight", data=weight)
            if bias is not None:
                g.create_dataset("bias", data=bias)
            self.neuron(g, neuron)
        return g

    def dense(self, weight: Any, neuron: Neuron, *, shape: int | Sequence[int] | None = None,
              features: bool = True, weight_rec: Any = None, bias: Any = None, delay: Any = None,
              extra: dict[str, Any] | None = None) -> h5py.Group:
        """``type='dense'`` (``'dense_rec'`` with ``weight_rec``) as slayer's Dense/Recurrent block:
        ``shape`` [default: the weight's rows], ``inFeatures``/``outFeatures`` (``features``),
        ``weight`` (out x in), ``weight_rec``, ``bias``, ``delay``, ``extra`` fields, ``neuron``."""
        weight = np.asarray(weight)
        g = self.layer("dense" if weight_rec is None else "dense_rec")
        g.create_dataset("shape", data=_shape(weight.shape[0] if shape is None else shape))
        if features:
            g.create_dataset("inFeatures", data=int(weight.shape[1]))
            g.create_dataset("outFeatures", data=int(weight.shape[0]))
        g.create_dataset("weight", data=weight)
        self.fields(g, {"weight_rec": weight_rec, "bias": bias, "delay": delay})
        self.fields(g, extra)
        self.neuron(g, neuron)
        return g

    def conv(self, weight: Any, neuron: Neuron, *, shape: Sequence[int], in_channels: int,
             out_channels: int, kernel_size: Sequence[int], stride: Sequence[int],
             padding: Sequence[int], dilation: Sequence[int], groups: int, bias: Any = None,
             delay: Any = None) -> h5py.Group:
        """``type='conv'`` exactly as slayer's Conv block writes it: ``shape`` (the neuron
        shape, slayer's C, H, W order... as given), ``inChannels``, ``outChannels``,
        ``kernelSize``, ``stride``, ``padding``, ``dilation`` (2 values each, slayer's order),
        ``groups``, ``weight`` (out, in/groups, kH, kW as slayer's synapse holds it, without
        its time axis), ``bias``, ``delay``, neuron."""
        g = self.layer("conv")
        g.create_dataset("shape", data=_shape(shape))
        g.create_dataset("inChannels", data=int(in_channels))
        g.create_dataset("outChannels", data=int(out_channels))
        for key, value in (("kernelSize", kernel_size), ("stride", stride), ("padding", padding),
                           ("dilation", dilation)):
            g.create_dataset(key, data=np.asarray(value))
        g.create_dataset("groups", data=int(groups))
        g.create_dataset("weight", data=weight)
        self.fields(g, {"bias": bias, "delay": delay})
        self.neuron(g, neuron)
        return g

    def pool(self, weight: Any, neuron: Neuron, *, shape: Sequence[int], kernel_size: Sequence[int],
             stride: Sequence[int], padding: Sequence[int], dilation: Sequence[int],
             delay: Any = None) -> h5py.Group:
        """``type='pool'`` exactly as slayer's Pool block writes it: ``shape``, ``kernelSize``,
        ``stride``, ``padding``, ``dilation``, ``weight`` (slayer's pool synapse: 1, 1, kH, kW),
        ``delay``, neuron. (lava-dl 0.6's netx loader does not build pool layers.)"""
        g = self.layer("pool")
        g.create_dataset("shape", data=_shape(shape))
        for key, value in (("kernelSize", kernel_size), ("stride", stride), ("padding", padding),
                           ("dilation", dilation)):
            g.create_dataset(key, data=np.asarray(value))
        g.create_dataset("weight", data=weight)
        self.fields(g, {"delay": delay})
        self.neuron(g, neuron)
        return g

    def flatten(self, shape: Sequence[int]) -> h5py.Group:
        """``type='flatten'`` as slayer's Flatten block: ``shape`` = [C*H*W, 1, 1]."""
        g = self.layer("flatten")
        g.create_dataset("shape", data=_shape(shape))
        return g

    def slayer_block(self, block) -> h5py.Group:
        """A lava-dl slayer block writes its own layer group (``block.export_hdf5``), so its
        values are slayer's exactly (quantization, weight-norm removal, delays)."""
        g = self._new_layer()
        block.export_hdf5(g)
        kind = g["type"][0]
        self.kinds.append(kind.decode() if isinstance(kind, bytes) else str(kind))
        return g

    def slayer_blocks(self, blocks: Iterable) -> None:
        """Every block of a slayer network, in order (what ``network.export_hdf5`` does)."""
        for block in blocks:
            self.slayer_block(block)

    # -- extension groups and root attributes ---------------------------------------------
    def extension(self, name: str, version: int, config: Any = None) -> h5py.Group:
        """A versioned extension group ``/name``: attribute ``extension_version`` and, given a
        training config, ``config_json`` (``config.to_dict()``, sorted keys)."""
        g = self.file.create_group(name)
        g.attrs["extension_version"] = version
        if config is not None:
            g.attrs["config_json"] = json.dumps(config.to_dict(), sort_keys=True)
        return g

    def attrs(self, values: dict[str, Any] | None = None, **more: Any) -> None:
        """Root attributes (``beamnet_format``, ``model``, ``dataset``, ...), in order."""
        for key, value in {**(values or {}), **more}.items():
            self.file.attrs[key] = value

    def stamp(self, run_dir: str | Path) -> None:
        """The run id of ``run_dir`` as root attribute (``beamnet_run_id``), if it has one."""
        from beamnet_lava import rundir

        rundir.stamp(self.file, run_dir)

    # -- the file ---------------------------------------------------------------------------
    def getvalue(self) -> bytes:
        """The finished file's bytes (closes the in-memory file)."""
        self.close()
        return self._buffer.getvalue()

    def publish(self, out: str | Path, read: Callable[[Path], Any], *, force: bool = False,
                run_dir: str | Path | None = None, register: bool = True, lavadl: bool = False):
        """Write the file to ``out`` once ``read`` (and with ``lavadl``, lava-dl's loader) accepts
        it; return what ``read`` returned, its ``path`` set to ``out``.

        Atomic (:func:`~beamnet_lava.io_utils.atomic_path`): an existing ``out`` is replaced only
        with ``force`` (checked again at the rename); a named pipe or device is written through;
        a folder or socket is refused. With ``register`` and a ``run_dir``, the file is recorded
        in the manifest of the run directory it lands in, with ``run_dir``'s run id."""
        from beamnet_lava import rundir
        from beamnet_lava.io_utils import atomic_path

        data = self.getvalue()
        out = Path(out)
        with atomic_path(out, replace=force) as tmp:
            tmp.write_bytes(data)
            net = read(tmp)          # refuse to publish a file we could not run
            if lavadl:
                lavadl_network(tmp)
        if hasattr(net, "path"):
            net.path = out
        if register and run_dir is not None:
            rundir.register(out, rundir.run_id(run_dir))
        return net


# -- read-back through lava-dl ----------------------------------------------------------------
def _text(ds) -> str:
    value = ds[()]
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size else b""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def lavadl_buildable(path: str | Path) -> str | None:
    """Why lava-dl 0.6's ``netx.hdf5.Network`` cannot build ``path`` (None: it can).

    Its loader builds input, dense, dense_rec, conv and flatten layers of CUBA/LOIHI neurons;
    it refuses pool layers and cannot express our extension neurons; its recurrent layer with
    delays reuses the input delays for the recurrent synapse (lib/dl/netx/blocks/process.py)."""
    with h5py.File(path, "r") as f:
        if "layer" not in f:
            return "it has no /layer group"
        for name in sorted(f["layer"], key=int):
            g = f["layer"][name]
            kind = _text(g["type"])
            if kind not in LAVADL_LAYERS:
                return f"layer {name} is a '{kind}' layer"
            if "neuron" in g and _text(g["neuron/type"]) not in LAVADL_NEURONS:
                return f"layer {name} has {_text(g['neuron/type'])} neurons"
            if kind == "dense_rec" and "delay" in g:
                return f"layer {name} is recurrent with delays"
    return None


def lavadl_network(path: str | Path):
    """lava-dl's own ``netx.hdf5.Network`` built from ``path`` (the read-back of a stock file);
    a file it cannot build is a BeamnetError naming why."""
    why = lavadl_buildable(path)
    if why is not None:
        raise BeamnetError(f"{path}: lava-dl's netx loader cannot build this file: {why}")
    from beamnet_lava._quiet import import_slayer

    import_slayer()                      # lava-dl's import noise stays off stdout (--json -)
    from lava.lib.dl import netx

    try:
        return netx.hdf5.Network(net_config=str(path))
    except Exception as exc:  # lava-dl's own error, named as such
        raise BeamnetError(f"{path}: lava-dl's netx loader refused the file "
                           f"({exc.__class__.__name__}: {exc})") from None
