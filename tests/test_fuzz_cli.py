"""Property-based fuzzing of the command line's own code path: only the project's errors come out.

Mutated architecture strings (Unicode digits and letters, huge numbers, deep
nesting, long repeats, odd line breaks) go through ``specdsl.cli.main`` exactly as
a user's argument would (``params``, ``check``, ``--set``, ``--input``), and
mutated configs through config loading.  Each run must end in exit 0 or 2 (a
``SpecError`` rendered with its position), never a traceback; and quickly, so
the limits (nesting, blocks, sizes) are exercised, not merely survived.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specdsl.cli import main
from specdsl.config import load_config_text
from specdsl.errors import SpecError

PIECES = ["conv[", "8@3", "]", "_", "mp[2]", "do", "fc[", "each[", "2x(", ")", "(", "x", "$f", ",", "=", "@",
          "pad=same", "resb[", "1x4", "|", "1e999", "nan", "9" * 60, "1" * 400, "١٢٨", "²", "１", "\x0b", "\u2028",
          "\x85", "é", " ", "1000000x(", "99999999999", "-1", ".5", "bn", "dilres[", "gap", "bgru[4]"]
TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map("".join)
NESTED = st.builds(lambda n, w, inner: w * n + inner + {"1x(": ")", "each[": "]", "fc[": "]"}[w] * n,
                   st.integers(1, 400), st.sampled_from(["1x(", "each[", "fc["]), st.sampled_from(["do", "fc[2]", ""]))
# capsys is read (and so emptied) after every example, so sharing it across examples is safe.
FUZZ = settings(max_examples=150, deadline=2000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _exit_code(argv: list[str], capsys: pytest.CaptureFixture[str]) -> int:
    code = main(argv)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    if code == 2:
        assert out.err.strip(), argv  # an error always says something
    return code


@FUZZ
@given(text=st.one_of(TEXT, NESTED), verb=st.sampled_from(["params", "check"]))
def test_architecture_strings_end_in_a_result_or_a_spec_error(text: str, verb: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code([verb, "--input=64x4", "--", text], capsys) in (0, 2)


@FUZZ
@given(value=TEXT, shape=TEXT)
def test_set_and_input_values_end_in_a_result_or_a_spec_error(value: str, shape: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["check", "conv[$f@3]", f"--set=f={value}"], capsys) in (0, 2)
    assert _exit_code(["check", "conv[4@3]", f"--input={shape}"], capsys) in (0, 2)


CONFIG = ('{"kind": "specdsl-train", "output-prefix": "o", "model": {"architecture": ARCH, "input-length": LEN}, '
          '"data": {"train": "t.h5", "val": "v.h5"}, "heads": [{"head-name": "h", "num-tasks": 1, '
          '"profile-loss-weight": 1, "counts-loss-weight": WEIGHT}]}')
NUMBER = st.sampled_from(["1", "1e999", "-1e999", "9" * 5000, "1.5", "0", "[" * 300, "١٠", "2147483648"])


@FUZZ
@given(arch=TEXT, length=NUMBER, weight=NUMBER)
def test_configs_end_in_a_result_or_a_spec_error(arch: str, length: str, weight: str) -> None:
    import json

    text = CONFIG.replace("ARCH", json.dumps(arch)).replace("LEN", length).replace("WEIGHT", weight)
    try:
        load_config_text(text, "fuzz.json")
    except SpecError as err:
        assert err.render()
