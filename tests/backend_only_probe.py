"""Train every head kind on one backend in a process that cannot import TensorFlow.

Run as ``python tests/backend_only_probe.py BACKEND FOLDER`` (``tests/test_backend_only.py`` runs it;
``.ci/run`` runs it again in a fresh virtual environment made with ``pip install '.[jax]'``).  With
``--hide-tensorflow`` an import hook makes ``import tensorflow`` fail, as on an install without it.
For each task template (profiles, DeepCpG, labels with a CRF, Capfinder-style signals, the
workshop's multi-label classifier) it makes small data with the commands the template's header
gives, trains one short run with ``--backend BACKEND``, and checks the model file was delivered
and its loss is finite.  Prints one JSON line: {template: {"loss": [...], "seconds": s}} and the
modules loaded.
"""

from __future__ import annotations

import glob
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path

if "--hide-tensorflow" in sys.argv:
    class _NoTensorFlow:
        def find_spec(self, name, path=None, target=None):  # noqa: ANN001, ANN201 - the finder protocol
            if name.split(".")[0] in ("tensorflow", "tf_keras", "tensorboard"):
                raise ModuleNotFoundError(f"No module named '{name}'")
            return None

    sys.meta_path.insert(0, _NoTensorFlow())

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SMALL = {"--regions": "48", "--val-regions": "32", "--isolates": "80", "--reads": "24", "--num-reads": "160",
         "--sites": "400", "--input-length": "326", "--output-length": "200"}
# the same commands on less data, and runs of one epoch on small models: the point is that they run
RUN = {"profile": ["--set", 'model.architecture={"preset": "BPNet", "params": {"filters": 8, "layers": 3}}',
                   "--set", "model.input-length=326", "--set", "model.output-length=200"],
       "deepcpg": ["--set", "data.dna-wlen=101", "--set", "model.architecture.params.dna_model=CnnL1h128",
                   "--set", "model.architecture.params.joint_model=JointL0"],
       "labels": ["--set", "model.architecture.params.conv_layers=1",
                  "--set", "model.architecture.params.conv_filters=16",
                  "--set", "model.architecture.params.lstm_units=8"],
       "signals": [], "classifier": []}


def shrunk(command: str, small: dict[str, str] = SMALL) -> list[str]:
    """A template's data command as words, with the values of ``small``'s options replaced and globs expanded."""
    words = shlex.split(command)
    for i, word in enumerate(words[:-1]):
        if word in small:
            words[i + 1] = small[word]
    return [match for word in words for match in (sorted(glob.glob(word)) if "*" in word else [word])]


def main() -> int:
    backend, folder = sys.argv[1], Path(sys.argv[2])
    from specdsl.cli import main as specdsl
    from specdsl.config.starters import all_starters

    folder.mkdir(parents=True, exist_ok=True)
    os.chdir(folder)
    report: dict[str, object] = {}
    for name, extra in RUN.items():
        started = time.monotonic()
        assert specdsl(["init", name, "-o", f"{name}.json", "--force"]) == 0
        for command in all_starters()[name].data:
            assert specdsl(shrunk(command)) == 0, command
        assert specdsl(["train", f"{name}.json", "--backend", backend, "--set", "schedule.epochs=1",
                        "--set", "schedule.batch-size=16", "--set", f"output-prefix=models/{name}", *extra]) == 0
        history = json.loads(Path(f"models/{name}.history.json").read_text())
        assert Path(f"models/{name}.keras").stat().st_size > 0
        assert all(math.isfinite(v) for v in history["loss"]), history["loss"]
        report[name] = {"loss": history["loss"], "seconds": round(time.monotonic() - started, 1)}
    import keras

    report["backend"] = keras.backend.backend()
    report["tensorflow_loaded"] = "tensorflow" in sys.modules
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
