"""Shuffled references for DeepLIFT-SHAP: the counts they keep, their seeding, their errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from specdsl.errors import SpecError
from specdsl.interpret import references as refs
from specdsl.interpret.references import dinucleotide_shuffle, kmer_shuffle, references

BASES = "ACGT"


def one_hot(text: str) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[[BASES.index(c) for c in text]]


def random_batch(n: int, length: int, seed: int = 0) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, length))]


def letters(seq: np.ndarray) -> list[bytes]:
    """Each row as its bytes: a letter per distinct row value, N rows included."""
    return [row.tobytes() for row in np.ascontiguousarray(seq)]


def kmers(seq: np.ndarray, k: int) -> Counter:
    rows = letters(seq)
    return Counter(tuple(rows[i:i + k]) for i in range(len(rows) - k + 1))


def test_dinucleotide_shuffle_keeps_counts_and_ends():
    seq = random_batch(1, 60, seed=1)[0]
    shuffles = dinucleotide_shuffle(seq, 25, np.random.default_rng(0))
    assert shuffles.shape == (25, 60, 4) and shuffles.dtype == seq.dtype
    for s in shuffles:
        assert kmers(s, 2) == kmers(seq, 2)
        np.testing.assert_array_equal(s[0], seq[0])
        np.testing.assert_array_equal(s[-1], seq[-1])
        assert np.all(s.sum(axis=1) == 1)
    distinct = {s.tobytes() for s in shuffles}
    assert len(distinct) > 20 and seq.tobytes() not in distinct


def test_mononucleotide_and_trinucleotide_counts():
    seq = random_batch(1, 80, seed=2)[0]
    for s in kmer_shuffle(seq, 10, 1, 0):
        assert kmers(s, 1) == kmers(seq, 1)
    trinuc = kmer_shuffle(seq, 10, 3, 0)
    for s in trinuc:
        assert kmers(s, 3) == kmers(seq, 3)
        np.testing.assert_array_equal(s[:2], seq[:2])
        np.testing.assert_array_equal(s[-2:], seq[-2:])
    assert len({s.tobytes() for s in trinuc}) > 1
    np.testing.assert_array_equal(kmer_shuffle(seq, 5, 2, 7), dinucleotide_shuffle(seq, 5, 7))


def test_n_rows_are_letters_of_their_own():
    seq = random_batch(1, 50, seed=3)[0]
    seq[[4, 5, 20]] = 0.0  # N as all-zero rows
    seq[33] = 0.25  # N as a uniform row
    allowed = set(letters(seq))
    for method, k in (("mononucleotide", 1), ("dinucleotide", 2), ("kmer", 3)):
        out = references(seq[None], n=8, method=method, k=k if method == "kmer" else None)[0]
        for s in out:
            assert set(letters(s)) <= allowed  # every row is a row of the input, bit for bit
            assert kmers(s, k) == kmers(seq, k)


def test_references_shape_dtype_and_seed():
    X = random_batch(5, 40).astype(np.float64)
    out = references(X, n=6, seed=3)
    assert out.shape == (5, 6, 40, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out, references(X, n=6, seed=3))
    assert not np.array_equal(out, references(X, n=6, seed=4))
    np.testing.assert_array_equal(out[:, :4], references(X, n=4, seed=3))  # the first m of n shuffles
    np.testing.assert_array_equal(out[2], dinucleotide_shuffle(X[2], 6, np.random.default_rng([3, 2])))


def test_references_do_not_depend_on_the_batch():
    X = random_batch(7, 45, seed=4)
    whole = references(X, n=5, method="kmer", k=3, seed=1)
    np.testing.assert_array_equal(whole[3:6], references(X[3:6], n=5, method="kmer", k=3, seed=1, first_index=3))
    other = X.copy()
    other[[0, 6]] = random_batch(2, 45, seed=9)  # other sequences in the batch change: these do not
    np.testing.assert_array_equal(whole[1:6], references(other, n=5, method="kmer", k=3, seed=1)[1:6])


def test_walking_in_chunks_changes_nothing(monkeypatch):
    X = random_batch(9, 30, seed=5)
    whole = references(X, n=4)
    monkeypatch.setattr(refs, "_WALK_BUDGET", 4 * 29 * 2)  # two sequences per walk
    np.testing.assert_array_equal(references(X, n=4), whole)


def test_too_short_sequences():
    with pytest.raises(SpecError, match="too short.*2 positions.*at least 3"):
        dinucleotide_shuffle(one_hot("AC"), 3, 0)
    with pytest.raises(SpecError, match="too short"):
        kmer_shuffle(one_hot("ACG"), 3, 3, 0)
    with pytest.raises(SpecError, match="too short"):
        references(one_hot("A")[None], method="mononucleotide")


@pytest.mark.parametrize("text, method", [("AAAAAAAA", "dinucleotide"), ("ACACACACA", "dinucleotide"),
                                          ("ACA", "dinucleotide"), ("GGGGGG", "mononucleotide"),
                                          ("ACGTACGTA", "kmer")])
def test_sequences_whose_shuffles_are_all_themselves(text, method):
    X = np.stack([one_hot("AAGAATAAC")[:len(text)], one_hot(text)]) if len(text) > 6 else one_hot(text)[None]
    with pytest.raises(SpecError, match=f"sequence {len(X) - 1} ") as err:
        references(X, n=3, method=method, k=3 if method == "kmer" else None)
    assert "is the sequence itself" in err.value.message


def test_a_sequence_with_few_paths_still_shuffles():
    seq = one_hot("ACAGA")  # A's exits C, G, A(last): C and G can swap, so ACAGA → AGACA
    assert {s.tobytes() for s in dinucleotide_shuffle(seq, 20, 0)} == {seq.tobytes(), one_hot("AGACA").tobytes()}


def test_argument_errors():
    X = random_batch(2, 20)
    with pytest.raises(SpecError, match="unknown reference method") as err:
        references(X, method="dinucleotides")
    assert err.value.hint == "did you mean 'dinucleotide'?"
    with pytest.raises(SpecError, match="needs k"):
        references(X, method="kmer")
    with pytest.raises(SpecError, match="keeps 2-mers, but k=3"):
        references(X, method="dinucleotide", k=3)
    with pytest.raises(SpecError, match=r"\(N, L, 4\)"):
        references(X[0])
    with pytest.raises(SpecError, match="number of shuffles"):
        references(X, n=0)
    with pytest.raises(SpecError, match="seed"):
        references(X, seed=-1)
    bad = X.copy()
    bad[1, 3, 0] = np.nan
    with pytest.raises(SpecError, match="sequence 1 has NaN"):
        references(bad)
