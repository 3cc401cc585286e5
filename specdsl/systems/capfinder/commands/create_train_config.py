"""``specdsl capfinder create-train-config --file_path X.json``: Capfinder's template, as Capfinder writes it."""

from __future__ import annotations

from specdsl.options import ToolParser


def build_parser() -> ToolParser:
    p = ToolParser("specdsl capfinder create-train-config", "capfinder create-train-config",
                   "Creates a dummy JSON configuration file at the specified path. Edit it to suit your needs.")
    p.add_argument("-f", "--file_path", required=True, help="File path to save the JSON configuration file")
    return p


def main(argv: list[str]) -> int:
    from specdsl.systems.capfinder.config import write_template

    args = build_parser().parse(argv)
    path = write_template(args.file_path)
    print(f"wrote {path}: edit caps_data_dir and output_dir, then run "
          f"specdsl capfinder train-model --config_file {path}")
    return 0
