"""Recurrent kinds: GRU and LSTM, one or both directions."""

from __future__ import annotations

from specdsl.language.kinds._args import L1, L2
from specdsl.language.registry import Arg, Kind, register

# Not model-wide settings: DeepCpG penalises only the input kernels; tranquillyzer both.
RL1 = Arg("rl1", "float", 0.0, "L1 penalty on the recurrent kernel", minimum=0.0)
RL2 = Arg("rl2", "float", 0.0, "L2 penalty on the recurrent kernel", minimum=0.0)
SEQ = Arg("seq", "choice", "auto",
          "return the whole sequence (yes) or the last state (no); auto returns it when another "
          "recurrent layer follows", choices=("auto", "yes", "no"))


def _recurrent_kind(name: str, cell: str, bidirectional: bool, aliases: tuple[str, ...] = ()) -> Kind:
    def lower(ctx, x):
        seq = ctx["seq"]
        sequences = seq == "yes" or (seq == "auto" and ctx.following is not None and ctx.following.recurrent)
        config = dict(cell=cell, units=ctx["units"], bidirectional=bidirectional, sequences=sequences,
                      l1=ctx["l1"], l2=ctx["l2"], rl1=ctx["rl1"], rl2=ctx["rl2"])
        if cell == "gru":
            config["reset_after"] = ctx["reset-after"]
        return ctx.add("rnn", x, **config)

    args = [Arg("units", "int", doc="units per direction"), SEQ, L1, L2, RL1, RL2]
    if cell == "gru":
        args.append(Arg("reset-after", "bool", True,
                        "Keras 3 / cuDNN GRU (yes) or the Keras 2 standalone GRU DeepCpG was trained with (no)"))
    both = "bidirectional " if bidirectional else ""
    width = "2U features (both directions concatenated)" if bidirectional else "U features"
    return register(Kind(
        name, f"{both}{cell.upper()} with U units per direction; gives {width}", lower,
        args=tuple(args), positional=("units",), recurrent=True, aliases=aliases, example=f"{name}[128]",
    ))


_recurrent_kind("gru", "gru", False)
_recurrent_kind("bgru", "gru", True)
_recurrent_kind("lstm", "lstm", False)
_recurrent_kind("blstm", "lstm", True, aliases=("bilstm",))
