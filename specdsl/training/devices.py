"""Which devices a run trains on, and the distribution over them.

Kept apart from the run so the rule (which devices, one or several, how the batch is split)
is one place for every head kind and reader.  ``runtime.device`` chooses:

* ``auto``: every GPU the backend sees, else the CPU;
* ``gpu``: every GPU, and a :class:`~specdsl.errors.SpecError` when there is none — users
  coming from other tools name a silent fall-back to the CPU as their first complaint, so a
  run that asked for a GPU never starts without one;
* ``cpu``: the CPU, even where GPUs are visible.

Several devices train data-parallel: on TensorFlow a ``tf.distribute.MirroredStrategy``,
on JAX ``keras.distribution.DataParallel``.  The masked losses and BPReveal's losses
normalise by whole-batch counts (:func:`~specdsl.training.masked.replica_sum`), so several
devices give the same steps as one.  Under JAX nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from specdsl.errors import SpecError

DEVICE_SETTINGS = ("auto", "cpu", "gpu")
DEVICE_PATH = "runtime.device"


@dataclass(frozen=True)
class Devices:
    """The devices a run uses: ``names`` as the backend takes them, ``labels`` as printed."""

    backend: str
    kind: str  # "gpu" or "cpu"
    names: tuple[str, ...]
    labels: tuple[str, ...]
    handles: tuple[Any, ...] = field(default=(), compare=False, repr=False)  # JAX device objects
    default: bool = True  # these are where the backend computes anyway (no placement needed)
    processes: int = 1  # JAX processes (hosts) taking part
    process: int = 0  # this one's index among them (0 writes the artifacts: :mod:`~specdsl.training.processes`)

    @property
    def count(self) -> int:
        return len(self.names)

    @property
    def distribution(self) -> str | None:
        """How the batch is split: ``MirroredStrategy`` (TF), ``DataParallel`` (JAX) or None."""
        if self.count < 2:
            return None
        return "MirroredStrategy" if self.backend == "tensorflow" else "DataParallel"

    @property
    def sharded_batches(self) -> bool:
        """JAX data parallelism shards every batch evenly over the devices (TF splits unevenly itself)."""
        return self.backend == "jax" and self.count > 1

    def jit_compile(self, xla: bool) -> bool | str:
        """``runtime.xla`` as ``model.compile`` may take it.

        On JAX the step is always compiled: ``jax.jit`` is JAX's only way to run a step as one
        program, and Keras on JAX with ``jit_compile=False`` runs it op by op, 5–20× slower (a
        DeepCpG step 0.29× the speed of the same model compiled).  On TensorFlow it is the
        config's choice, except that Keras 3 cannot run a MirroredStrategy step compiled with
        XLA (it reads each replica's variables from the first device and fails), so on several
        TensorFlow devices the step runs without.  On PyTorch ``jit_compile`` means
        ``torch.compile``, which the config's ``xla`` still asks for.
        """
        if self.backend == "jax":
            return True
        return bool(xla) and self.distribution != "MirroredStrategy"

    def describe(self) -> str:
        """The line the run prints at its start, e.g. ``training with TensorFlow on 2 devices: /cpu:0, /cpu:1
        (MirroredStrategy)``."""
        noun = "device" if self.count == 1 else "devices"
        how = self.distribution
        if how and self.processes > 1:
            how += f", {self.processes} processes"
        from specdsl.backend.selection import NAMES

        return (f"training with {NAMES.get(self.backend, self.backend)} on {self.count} {noun}: "
                f"{', '.join(self.labels)}" + (f" ({how})" if how else ""))


def _backend() -> str:
    from specdsl.backend.quiet import import_keras

    return str(import_keras().backend.backend())


def choose_devices(setting: str = "auto", document: Any = None) -> Devices:
    """The devices for ``runtime.device``; fails (placed at the key when ``document`` is the
    positioned config) when ``gpu`` is asked for and the backend sees none.  Call it before
    anything is written, so a refused run leaves no trace."""
    if setting not in DEVICE_SETTINGS:
        raise SpecError(f"unknown device '{setting}'", path=DEVICE_PATH, expected=" or ".join(DEVICE_SETTINGS))
    backend = _backend()
    try:
        if backend == "jax":
            return _jax_devices(setting)
        if backend == "tensorflow":
            return _tf_devices(setting)
        return _torch_devices(setting)
    except SpecError as err:
        from specdsl.training.ir import place

        raise place(err, document) from None


def _torch_devices(setting: str) -> Devices:
    """Keras on PyTorch computes on one device, fixed when Keras loads (``KERAS_TORCH_DEVICE``,
    else CUDA when PyTorch sees it): ``cpu`` sets it before then (:func:`use_run_backend`),
    ``gpu`` fails when it is not CUDA."""
    from keras.src.backend.torch.core import get_device

    device = str(get_device())
    if setting == "gpu" and not device.startswith("cuda"):
        raise _no_gpu("PyTorch", f"Keras computes on '{device}'", "torch.cuda.is_available() must be True")
    if device.startswith("cuda"):
        import torch

        return Devices("torch", "gpu", (device,), (f"{device} ({torch.cuda.get_device_name(0)})",))
    return Devices("torch", "cpu", (device,), (device,))


def _no_gpu(backend: str, reason: str, hint: str) -> SpecError:
    hidden = os.environ.get("CUDA_VISIBLE_DEVICES")
    if hidden is not None and hidden.strip() in ("", "-1"):
        reason += f"; CUDA_VISIBLE_DEVICES='{hidden}' hides every GPU from this process"
    return SpecError(f"device 'gpu' was asked for, but {backend} sees no GPU ({reason})",
                     path=DEVICE_PATH,
                     hint=f"check that `nvidia-smi` lists the GPU and that the NVIDIA driver and CUDA libraries "
                          f"match this {backend}; {hint}; or set runtime.device to auto or cpu")


#: The device files through which a GPU reaches a process on Linux: NVIDIA's driver, ROCm's, WSL2's.
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")


def gpu_problem(setting: str, *, ask_backend: bool = True) -> SpecError | None:
    """Why ``runtime.device`` cannot be had here (``gpu`` without a GPU), or None; for ``specdsl check``.

    Cheap first: on Linux a GPU reaches a process only through its driver's device file, so with
    none of :data:`GPU_DEVICE_FILES`, or with every CUDA GPU hidden by ``CUDA_VISIBLE_DEVICES`` and
    no ROCm, no backend can see one, and that is said without importing any (a check stays fast).
    Otherwise only the backend can tell, since its CUDA libraries must match the driver: with
    ``ask_backend`` it is asked as a run asks it (:func:`choose_devices`: seconds, for TensorFlow).
    """
    if setting != "gpu":
        return None
    if sys.platform.startswith("linux"):
        present = [f for f in GPU_DEVICE_FILES if os.path.exists(f)]
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1")
        if not present or (hidden and "/dev/kfd" not in present):
            reason = (f"CUDA_VISIBLE_DEVICES='{os.environ['CUDA_VISIBLE_DEVICES']}' hides every GPU from this process"
                      if present else f"none of {', '.join(GPU_DEVICE_FILES)} exists: no GPU driver is loaded")
            return SpecError(f"device 'gpu' was asked for, but this machine has no GPU to train on ({reason})",
                             path=DEVICE_PATH, hint="check that `nvidia-smi` lists the GPU (in a container: that the "
                                                    "GPU is passed into it), or set runtime.device to auto or cpu")
    if not ask_backend:
        return None
    try:
        choose_devices(setting)
    except SpecError as err:
        return err
    return None


def _tf_devices(setting: str) -> Devices:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU") if setting != "cpu" else []
    if setting == "gpu" and not gpus:
        built = tf.test.is_built_with_cuda()
        raise _no_gpu("TensorFlow", "tf.config.list_logical_devices('GPU') is empty"
                      + ("" if built else "; this TensorFlow was built without CUDA"),
                      "install TensorFlow with its CUDA libraries (pip install 'tensorflow[and-cuda]', on Linux "
                      "and WSL2)")
    if gpus:
        labels = tuple(_short_tf(d.name) + _gpu_model(tf, i) for i, d in enumerate(gpus))
        return Devices("tensorflow", "gpu", tuple(d.name for d in gpus), labels)
    cpus = tf.config.list_logical_devices("CPU")
    visible_gpus = bool(tf.config.list_logical_devices("GPU")) if setting == "cpu" else False
    return Devices("tensorflow", "cpu", tuple(d.name for d in cpus), tuple(_short_tf(d.name) for d in cpus),
                   default=not visible_gpus or len(cpus) > 1)


def _short_tf(name: str) -> str:
    """'/device:CPU:0' → '/cpu:0', as TensorFlow users write device names."""
    return "/" + name.rsplit("device:", 1)[-1].lower()


def _gpu_model(tf: Any, index: int) -> str:
    try:
        details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[index])
    except (IndexError, ValueError, RuntimeError):
        return ""
    model = details.get("device_name")
    return f" ({model})" if model else ""


def _join_processes() -> None:
    """Join a multi-process JAX run when the launcher set Keras' variables
    (``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``…_NUM_PROCESSES``, ``…_PROCESS_ID``), so every host
    can run the same ``specdsl train`` command.  ``keras.distribution.initialize`` also agrees
    on one random seed across the processes when the config sets none."""
    if "KERAS_DISTRIBUTION_NUM_PROCESSES" not in os.environ:
        return
    import jax
    import keras

    if not getattr(jax.distributed, "is_initialized", lambda: False)():
        keras.distribution.initialize()


def _jax_devices(setting: str) -> Devices:
    import jax

    _join_processes()
    gpus: list[Any] = []
    reason = ""
    if setting != "cpu":
        try:
            gpus = jax.devices("gpu")
        except RuntimeError as err:  # no CUDA/ROCm backend in this jaxlib, or it failed to start
            reason = str(err).splitlines()[0]
    if setting == "gpu" and not gpus:
        raise _no_gpu("JAX", reason or "jax.devices('gpu') is empty",
                      "install JAX with its CUDA plugin (pip install -U 'jax[cuda12]' or 'jax[cuda13]')")
    chosen = gpus or jax.devices("cpu")
    labels = tuple(f"{d.platform}:{d.id}" + (f" ({d.device_kind})" if d.platform != "cpu" else "") for d in chosen)
    return Devices("jax", "gpu" if gpus else "cpu", tuple(f"{d.platform}:{d.id}" for d in chosen), labels,
                   handles=tuple(chosen), default=chosen[0] in jax.devices(), processes=jax.process_count(),
                   process=jax.process_index())


@contextlib.contextmanager
def training_devices(runtime: Any, console: Any = None, devices: Devices | None = None) -> Iterator[Devices]:
    """Build, compile *and fit* the model inside this context; it yields the :class:`Devices` used.

    Prints :meth:`Devices.describe` on ``console`` (a rich Console; nothing when None).
    On JAX the distribution must stay set while ``fit`` runs (Keras shards each batch as it
    reads it); it is restored on leaving, so later calls in the same process are unaffected.
    Score and save after it, on a copy of the model built outside it (``run.delivered``): that
    copy takes batches of any size, whereas under MirroredStrategy Keras' ``predict_on_batch``
    returns the batch once per replica (3 rows in, 6 out on two devices).
    """
    devices = devices or choose_devices(getattr(runtime, "device", "auto"))
    if console is not None:
        console.print(devices.describe(), highlight=False)
    with _placement(devices):
        yield devices


@contextlib.contextmanager
def _placement(devices: Devices) -> Iterator[None]:
    if devices.backend == "tensorflow":
        import tensorflow as tf

        if devices.count > 1:
            with _mirrored(devices.names).scope():
                yield
        elif not devices.default:  # the CPU asked for while GPUs are visible
            with tf.distribute.OneDeviceStrategy(devices.names[0]).scope():
                yield
        else:
            yield
    elif devices.backend == "jax":
        import jax
        import keras

        if devices.count > 1:
            previous = keras.distribution.distribution()
            # several processes: each feeds its own share of every batch (adapt_batches), already sharded
            keras.distribution.set_distribution(keras.distribution.DataParallel(
                devices=list(devices.handles), auto_shard_dataset=devices.processes < 2))
            try:
                yield
            finally:
                keras.distribution.set_distribution(previous)
        elif not devices.default:
            with jax.default_device(devices.handles[0]):
                yield
        else:
            yield
    else:
        yield


_MIRRORED: dict[tuple[str, ...], Any] = {}


def _mirrored(names: tuple[str, ...]) -> Any:
    """One MirroredStrategy per device set and process.  A second strategy on the same devices
    numbers its collective operations from the start again, and TensorFlow then matches the
    second model's all-reduces with the first's ("Shape mismatch in the collective instance"):
    a notebook that trains twice would fail."""
    if names not in _MIRRORED:
        import tensorflow as tf

        _MIRRORED[names] = tf.distribute.MirroredStrategy(devices=list(names))
    return _MIRRORED[names]


def use_run_backend(ir: Any) -> str:
    """Load Keras on the backend the run asks for (before anything imports it); refused at the key."""
    from specdsl.backend.selection import use_backend
    from specdsl.training.ir import place

    try:
        backend = use_backend(ir.runtime.backend)
    except SpecError as err:
        raise place(err, ir.document) from None
    if backend == "torch" and ir.runtime.device == "cpu":  # Keras on PyTorch reads it once, when it loads
        os.environ.setdefault("KERAS_TORCH_DEVICE", "cpu")
    return backend


def check_batch_size(devices: Devices, batch_size: int, path: str = "schedule.batch-size",
                     document: Any = None) -> None:
    """JAX shards every batch evenly over the devices: a batch size they do not divide would
    lose examples from every batch, so it is refused before the run starts (placed at ``path``
    in ``document``, the positioned config, when given)."""
    n = devices.count
    if devices.sharded_batches and batch_size % n:
        from specdsl.training.ir import place

        raise place(SpecError(f"batch size {batch_size} does not split evenly over {n} devices", path=path,
                              hint=f"use a multiple of {n}, e.g. {batch_size - batch_size % n or n}"), document)


def adapt_batches(stream: Any, devices: Devices, *, batch_size: int, examples: int) -> Any:
    """The batches ``fit`` may take on these devices, for training and validation data alike.

    TensorFlow's MirroredStrategy splits a partial last batch unevenly (a replica may get
    none) and the losses count across replicas, so its batches pass unchanged.  Keras' JAX
    DataParallel needs every batch to divide by the device count (``device_put`` refuses a
    batch of 3 on 2 devices), and an empty batch gives a NaN loss or fails the step, so
    under JAX a partial last batch is cut to a multiple of the device count, or dropped
    when fewer examples than devices are left: at most ``count − 1`` examples per epoch are
    left out (training batches are whole, so they lose none).  With several JAX processes
    every process reads the same batches (the streams are deterministic per seed and epoch)
    and feeds its own contiguous share of each, as ``jax.make_array_from_process_local_data``
    assembles the global batch: process p takes rows ``[p·n/P, (p+1)·n/P)`` of a batch of n
    rows.  ``examples`` is how many the stream yields per epoch.  Scores after training use
    the uncut validation data (see :func:`training_devices`).
    """
    if not devices.sharded_batches:
        return stream
    n, steps, processes = devices.count, stream.steps, devices.processes
    last = min(batch_size, examples - (steps - 1) * batch_size)
    if last % n == 0 and processes < 2:
        return stream

    def cut(batch: dict[str, Any]) -> dict[str, Any]:
        rows = len(next(iter(batch.values())))
        rows -= rows % n
        share = rows // processes
        start = devices.process * share
        return {k: v[start:start + share] for k, v in batch.items()}

    return stream.map(cut).take(steps - (last < n))


__all__ = ["DEVICE_SETTINGS", "Devices", "adapt_batches", "check_batch_size", "choose_devices", "gpu_problem",
           "use_run_backend",
           "training_devices"]
