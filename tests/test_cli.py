"""The specdsl command end to end: verbs, JSON, and the bad-input table (exit 2, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from specdsl.cli import main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "specdsl", *args], capture_output=True, text=True)


def test_presets_lists_every_family(capsys) -> None:
    assert main(["presets", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["CnnL2h128"]["params"] == 4_102_144
    assert by_name["CnnL2h128"]["spec"] == "conv[128@11]_mp[4]_conv[256@3]_mp[2]_fc[128]_do"
    assert by_name["RnnL1"]["inputs"] == {"cpg_state": [5, 50], "cpg_dist": [5, 50]}
    assert {r["family"] for r in rows} >= {"deepcpg-dna", "deepcpg-cpg", "deepcpg-joint", "deepcpg"}
    assert main(["presets", "--family", "DEEPCPG-JOINT", "--json"]) == 0
    assert {r["name"] for r in json.loads(capsys.readouterr().out)} == {
        "JointL0", "JointL1h512", "JointL2h512", "JointL3h512"}


def test_presets_table_renders(capsys) -> None:
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert "ResAtrous01" in out and "5,509,381" in out


def test_params_json_has_totals_and_layers(capsys) -> None:
    assert main(["params", "CnnL2h128", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["total"], report["trainable"], report["non_trainable"]) == (4_102_144, 4_102_144, 0)
    assert report["macs"] == sum(r["macs"] for r in report["layers"])
    first = report["layers"][0]
    assert first["name"] == "dna_conv1" and first["output_shape"] == [991, 128] and first["spec"] == "conv[128@11]"


def test_params_with_input_and_set(capsys) -> None:
    assert main(["params", "conv[8@3]_gap", "--input", "20x4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 3 * 4 * 8 + 8
    assert main(["params", "DeepCpG", "--set", "cells=2", "--input", "dna=501x4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["inputs"]["dna"]["shape"] == [501, 4] and set(report["outputs"]) == {"cpg_1", "cpg_2"}


def test_params_table(capsys) -> None:
    assert main(["params", "ResNet01"]) == 0
    out = capsys.readouterr().out
    assert "1,752,192" in out and "non-trainable 6,912" in out and "dna_resb1_s1u1_shortcut" in out


def test_check_and_spec_files(tmp_path, capsys) -> None:
    spec = tmp_path / "mine.spec"
    spec.write_text('preset Tiny "a small model" {\n  input x: 100 x 4\n  y = x | conv[8@5]_gap_dense[1]\n}\n')
    assert main(["check", str(spec)]) == 0
    assert "Tiny: 177 parameters" in capsys.readouterr().out
    assert main(["check", f"{spec}:tiny"]) == 0


def test_compile_writes_a_loadable_model(tmp_path) -> None:
    out = tmp_path / "m.keras"
    result = run("compile", "conv[8@5]_mp[2]_fc[4]", "--input", "50x4", "-o", str(out), "--summary")
    assert result.returncode == 0, result.stderr
    assert out.exists() and "Total params" in result.stdout and "wrote" in result.stdout


BAD_INPUTS = [
    # (argv, text that must appear, caret line that must appear)
    (["params", "conv[128@11]_mp[4]_cnv[3]"], "did you mean 'conv'?", "                       ^^^"),
    (["params", "conv[128@11"], "the '[' of conv[…] opened here is never closed", "^"),
    (["params", "conv[128]"], "conv expects filters@kernel", "^^^"),
    (["params", "CnnL2h12"], "did you mean 'CnnL2h128'?", "^^^^^^^^"),
    (["params", "conv[128@11,dill=2]"], "did you mean 'dil'?", "^^^^^^"),
    (["params", "mp[4,pad=sme]"], "did you mean 'same'?", "^^^^^^^"),
    (["check", "conv[8@3]_mp[4000]"], "pools 4000 positions but its input has only 999", "^^^^^^^^"),
    (["check", "do[1.5]"], "must be < 1", "^^^"),
    (["check", "fc[128]__do"], "unexpected '_'", "^"),
    (["params", "CnnL2h128", "--set", "dna_wlne=3"], "did you mean 'dna_wlen'?", None),
    (["params", "CnnL2h128", "--input", "1001by4"], "is not a shape", None),
    (["check", "/no/such/file.spec"], "no such file", None),
    (["presets", "--family", "deepcpg-dan"], "did you mean 'deepcpg-dna'?", None),
    (["compile", "CnnL1h128", "-o", "model.h5"], "must end in .keras", None),
    (["compile", "conv[8@3]", "-o", "/proc/no/x.keras"], "cannot write here", None),
    (["length", "BPNet", "--output-length", "0"], "an output length must be ≥ 1", None),
    (["init", "specdsl-train", "-o", "/proc/no/x.json"], "cannot write here", None),
]


@pytest.mark.parametrize("argv,message,caret", BAD_INPUTS)
def test_bad_input_exits_2_with_a_positioned_message(argv, message, caret) -> None:
    result = run(*argv)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if caret:
        assert caret in result.stderr


def test_debug_shows_the_traceback() -> None:
    result = run("--debug", "params", "cnv[3]")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_kinds_lists_the_registry(capsys) -> None:
    assert main(["kinds"]) == 0
    out = capsys.readouterr().out
    for word in ("conv", "resb", "bgru", "each", "mha", "emb", "dilres"):
        assert word in out


def test_init_writes_a_template_that_validates(tmp_path) -> None:
    from specdsl.config import read_config_file, validate

    for kind in ("bpreveal-solo", "specdsl-train"):
        out = tmp_path / f"{kind}.json"
        assert main(["init", kind, "-o", str(out)]) == 0
        assert validate(read_config_file(out))[0] == kind
    assert main(["init", "bpreveal-solo", "-o", str(tmp_path / "bpreveal-solo.json")]) == 2  # no overwrite


def test_schema_json_and_bnf(capsys) -> None:
    assert main(["schema", "bpreveal-solo", "--json"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "early-stopping-patience" in schema["properties"]["settings"]["properties"]
    assert main(["schema", "bpreveal-solo", "--bnf"]) == 0
    assert '"counts-loss-frac-target"' in capsys.readouterr().out
    assert main(["schema", "bpreveal-sol"]) == 2
    assert "did you mean 'bpreveal-solo'?" in capsys.readouterr().err


def test_length_verb(capsys) -> None:
    assert main(["length", "BPNet", "--output-length", "1000"]) == 0
    assert "input-length 3142 → output-length profile 1000; receptive field 2143 bp" in capsys.readouterr().out
    assert main(["length", "BPNet", "--input-length", "2114", "--set", "layers=8", "--set",
                 "input_filter_width=21"]) == 0
    assert "output-length profile 1000" in capsys.readouterr().out


def test_make_data_writes_bpreveal_layout(tmp_path, capsys) -> None:
    import h5py

    train = tmp_path / "d" / "t.h5"
    assert main(["make-data", "--train", str(train), "--regions", "64", "--input-length", "200",
                 "--output-length", "100", "--max-jitter", "5", "--tasks", "2", "1"]) == 0
    with h5py.File(train) as h5:
        assert h5["sequence"].shape == (64, 210, 4) and h5["sequence"].dtype.name == "uint8"
        assert h5["head_0"].shape == (64, 110, 2) and h5["head_1"].shape == (64, 110, 1)


def test_a_very_long_parameter_report_shows_its_head_and_tail(capsys) -> None:
    from specdsl.cli import main

    assert main(["params", "1000x(do)"]) == 0
    out = capsys.readouterr().out
    assert "… 600 more layers" in out and "do1000" in out and "do500 " not in out


@pytest.mark.parametrize("system", ["deepcpg", "workshop", "tranquillyzer", "capfinder"])
def test_a_system_without_a_verb_lists_its_verbs(system, capsys) -> None:
    from specdsl.plugins import systems

    assert main([system]) == 2
    err = capsys.readouterr().err
    assert "needs a verb" in err and "Traceback" not in err
    assert all(verb in err for verb in systems()[system].verb_names())
