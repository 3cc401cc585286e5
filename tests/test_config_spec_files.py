"""Training configs that name presets of the user's own spec files: spec-files, FILE.spec:NAME, their errors,
``specdsl presets FILE.spec``, and a multi-input, multi-output model of a spec file trained from a config."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from specdsl.cli import main
from specdsl.config import load_config
from specdsl.errors import SpecError

# Two inputs' worth of DeepCpG data (a DNA window, each cell's neighbouring CpG states and distances),
# one sigmoid output per cell: a multi-input, multi-output model written in a spec file.
SPEC = """\
family mine

preset MethylNet "DNA window + neighbouring CpG sites -> methylation of each cell" {
  param dna_wlen = 101
  param cells = 3
  param cpg_wlen = 20
  param width = 8
  input dna: dna_wlen x 4
  input cpg_state: cells x cpg_wlen
  input cpg_dist: cells x cpg_wlen
  seq = dna | conv[$width@3]_mp[2]_gmp
  cpg = concat(cpg_state, cpg_dist) | flat_fc[8]
  x = concat(seq, cpg) | fc[16]
  output cpg x cells = x | dense[1,act=sigmoid]
}

preset BPNet "my own BPNet: same name as a built-in preset" {
  input sequence: 7 x 4
  x = sequence | conv[4@3]_gmp
}
"""


def write_config(folder: Path, architecture: object, *, spec_files: list[str] | None = None, data: str = "d.h5",
                 name: str = "cfg.json") -> Path:
    """A specdsl-train config over DeepCpG chunks with one binary head per cell (``cpg/.*``)."""
    cfg = {"kind": "specdsl-train", "output-prefix": str(folder / "out" / "run"),
           "model": {"architecture": architecture},
           "heads": [{"kind": "binary", "head-name": "cpg", "targets": ["cpg/.*"]}],
           "data": {"reader": "deepcpg-h5", "train": data, "val": data, "dna-wlen": 7, "cpg-wlen": 4},
           "optimizer": {"learning-rate": 0.01},
           "schedule": {"epochs": 1, "batch-size": 16},
           "runtime": {"seed": 1, "verbosity": "WARNING"}}
    if spec_files is not None:
        cfg = {"spec-files": spec_files, **cfg}
    path = folder / name
    path.write_text(json.dumps(cfg, indent=2) + "\n")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """configs/ holds the config and its spec file; the working directory is elsewhere, so a path that
    resolved against it would not be found."""
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "models.spec").write_text(SPEC)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return configs


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


# ---------------------------------------------------------------- resolution


@pytest.mark.parametrize("architecture, spec_files", [
    ({"preset": "MethylNet", "params": {"width": 4}}, ["models.spec"]),
    ({"preset": "models.spec:MethylNet", "params": {"width": 4}}, None),
    ("models.spec:methylnet", None),
])
def test_a_spec_file_preset_is_found_relative_to_the_config_folder(project: Path, architecture: object,
                                                                    spec_files: list[str] | None) -> None:
    ir = load_config(write_config(project, architecture, spec_files=spec_files))
    assert ir.body.preset.name == "MethylNet" and ir.body.preset.family == "mine"
    assert [i.name for i in ir.body.preset.inputs] == ["dna", "cpg_state", "cpg_dist"]
    assert ir.body.label == "MethylNet"
    assert [inp.field for inp in ir.inputs] == ["dna", "cpg/state", "cpg/dist"]


def test_a_listed_spec_file_wins_over_a_built_in_preset_of_the_same_name(project: Path) -> None:
    assert load_config(write_config(project, {"preset": "BPNet"}, spec_files=["models.spec"])).body.preset.family \
        == "mine"
    assert load_config(write_config(project, {"preset": "BPNet"})).body.preset.family == "bpnet"


def test_a_name_two_listed_files_define_must_name_its_file(project: Path) -> None:
    (project / "more.spec").write_text(SPEC.replace("family mine", "family more"))
    path = write_config(project, {"preset": "MethylNet"}, spec_files=["models.spec", "more.spec"])
    with pytest.raises(SpecError) as info:
        load_config(path)
    err = info.value.errors[0]
    assert err.path == "model.architecture.preset" and err.span.line == line_of(path, '"preset"')
    assert "models.spec, more.spec" in err.message and "more.spec:MethylNet" not in err.hint
    assert "models.spec:MethylNet" in err.hint
    ir = load_config(write_config(project, {"preset": "more.spec:MethylNet"}, spec_files=["models.spec", "more.spec"]))
    assert ir.body.preset.family == "more"


def test_the_shipped_example_names_a_preset_of_the_shipped_spec_file(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # found beside the config wherever it is run from
    examples = Path(__file__).resolve().parent.parent / "examples"
    ir = load_config(examples / "spec_file_train.json")
    assert ir.body.preset.name == "MethylNet" and ir.body.preset.span.source.name == str(examples / "my_models.spec")
    assert ir.body.params_dict() == {"width": 16}


# ---------------------------------------------------------------- errors at their key


def check_errors(capsys: pytest.CaptureFixture, path: Path) -> str:
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_missing_listed_spec_file_is_said_at_its_entry(project: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_config(project, {"preset": "MethylNet"}, spec_files=["model.spec"])
    err = check_errors(capsys, path)
    line = line_of(path, '"model.spec"')
    assert err.startswith(f"{path}:{line}:5: spec-files[0]: spec file 'model.spec' not found")
    assert "^^^^^^^^^^^^" in err and "did you mean 'models.spec'?" in err
    assert "unknown preset" not in err  # the name is not looked up in a list that cannot be read


def test_a_missing_file_of_file_spec_name_is_said_at_the_preset(project: Path, capsys) -> None:
    path = write_config(project, {"preset": "nothere.spec:MethylNet"})
    err = check_errors(capsys, path)
    assert err.startswith(f"{path}:{line_of(path, 'nothere.spec')}:")
    assert "model.architecture.preset: spec file 'nothere.spec' not found" in err
    assert "relative to the config file's folder" in err


def test_a_name_not_in_the_file_lists_the_names_it_has(project: Path, capsys) -> None:
    path = write_config(project, "models.spec:MethylNte")
    err = check_errors(capsys, path)
    assert err.startswith(f"{path}:{line_of(path, 'MethylNte')}:")
    assert "model.architecture: " in err and "has no preset 'MethylNte'" in err
    assert "expected: one of MethylNet, BPNet" in err and "did you mean 'MethylNet'?" in err


def test_an_unknown_bare_name_suggests_a_preset_of_the_listed_files(project: Path, capsys) -> None:
    path = write_config(project, {"preset": "MethylNt"}, spec_files=["models.spec"])
    err = check_errors(capsys, path)
    assert "model.architecture.preset: unknown preset 'MethylNt'" in err and "did you mean 'MethylNet'?" in err


def test_a_syntax_error_in_a_spec_file_is_shown_in_that_file(project: Path, capsys) -> None:
    (project / "models.spec").write_text(SPEC.replace("conv[$width@3]", "cnv[$width@3]"))
    for path in (write_config(project, {"preset": "MethylNet"}, spec_files=["models.spec"]),
                 write_config(project, "models.spec:MethylNet")):
        err = check_errors(capsys, path)
        line = next(i for i, t in enumerate(SPEC.splitlines(), 1) if "conv[$width@3]" in t)
        assert err.startswith(f"{project / 'models.spec'}:{line}:15: unknown layer kind 'cnv'")
        assert err.count("unknown layer kind") == 1


def test_the_parameters_of_a_spec_file_preset_are_checked(project: Path, capsys) -> None:
    path = write_config(project, {"preset": "MethylNet", "params": {"widht": 4}}, spec_files=["models.spec"])
    err = check_errors(capsys, path)
    assert "preset MethylNet has no parameter 'widht'" in err and "did you mean 'width'?" in err


# ---------------------------------------------------------------- schema and presets verb


def test_the_schema_and_the_template_know_spec_files(capsys) -> None:
    assert main(["schema", "specdsl-train", "--json"]) == 0
    key = json.loads(capsys.readouterr().out)["properties"]["spec-files"]
    assert key["type"] == "array" and key["default"] == [] and "relative to this config file's folder" in \
        key["description"]
    from specdsl.config import init_template

    assert '"spec-files": [],' in init_template("specdsl-train")


def test_presets_lists_the_presets_of_spec_files(project: Path, capsys) -> None:
    spec = str(project / "models.spec")
    assert main(["presets", spec, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert main(["presets", "--json"]) == 0
    built_in = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["MethylNet", "BPNet"] and set(rows[0]) == set(built_in[0])
    assert rows[1]["family"] == "mine" and rows[0]["inputs"] == {"dna": [101, 4], "cpg_state": [3, 20],
                                                                  "cpg_dist": [3, 20]}
    assert main(["presets", spec]) == 0
    table = capsys.readouterr().out
    assert f"presets of {spec}" in table and "conv[$width@3]_mp[2]_gmp" not in table.split("BPNet")[1]
    assert main(["presets", "BPNet"]) == 2
    assert "'BPNet' is a built-in preset, not a spec file" in capsys.readouterr().err


# ---------------------------------------------------------------- training


def write_chunks(path: Path, rows: int = 64) -> Path:
    """A DeepCpG chunk: a 7-bp DNA window, two cells with four neighbouring CpG sites each."""
    from specdsl.formats.deepcpg_chunks import ChunkData, write_chunk

    rng = np.random.default_rng(0)
    inputs: dict[str, np.ndarray] = {"dna": rng.integers(0, 4, (rows, 7)).astype(np.int8)}
    outputs = {}
    for cell in ("a", "b"):
        inputs[f"cpg/{cell}/state"] = rng.integers(0, 2, (rows, 4)).astype(np.int8)
        inputs[f"cpg/{cell}/dist"] = rng.integers(1, 500, (rows, 4)).astype(np.float32)
        outputs[f"cpg/{cell}"] = rng.integers(0, 2, rows).astype(np.int8)
    write_chunk(path, ChunkData("1", np.arange(1, rows + 1) * 100, outputs, inputs))
    return path


@pytest.mark.slow
def test_a_multi_input_multi_output_spec_file_model_trains_from_a_config(project: Path, capsys) -> None:
    import keras

    data = write_chunks(Path.cwd() / "c1_000000-000064.h5")  # data files stay relative to the working directory
    path = write_config(project, {"preset": "MethylNet"}, spec_files=["models.spec"], data=data.name)
    assert main(["check", str(path)]) == 0
    assert "model MethylNet" in capsys.readouterr().out
    assert main(["train", str(path)]) == 0
    model = keras.saving.load_model(project / "out" / "run.keras")
    assert model.name == "MethylNet"
    assert [tuple(t.shape[1:]) for t in model.inputs] == [(7, 4), (2, 4), (2, 4)]
    assert sorted(model.output_names) == ["cpg_a", "cpg_b"]
    history = json.loads((project / "out" / "run.history.json").read_text())
    assert len(history["loss"]) == 1
