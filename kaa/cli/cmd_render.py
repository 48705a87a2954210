"""`kaa render mm2`: the MM2 deployment as mm2.properties, Connect connector JSON or Strimzi YAML."""
from __future__ import annotations

import argparse
import sys

from kaa.cli.stack_args import add_stack_argument, load_stack
from kaa.mirror.mm2_render import FORMATS, RENDERERS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("render", help="render deployment artefacts (mm2)",
                       description="Render artefacts derived from a stack.")
    what = p.add_subparsers(dest="what", required=True, metavar="WHAT")
    mm2 = what.add_parser(
        "mm2",
        help="the bidirectional MirrorMaker 2 deployment",
        description="Render both MM2 flows of a stack: dedicated-mode mm2.properties, the six Kafka Connect "
        "connector configs (each flow on its target's Connect), or Strimzi KafkaMirrorMaker2 resources. "
        "Secrets are shown as references, never values: passwords through Kafka's FileConfigProvider, a client "
        "certificate and key (mutual TLS) as a PEM keystore through DirectoryConfigProvider, Kubernetes secrets for "
        "Strimzi (docs/connecting.md).",
        epilog="Exit codes: 0 rendered, 2 invalid stack.",
    )
    add_stack_argument(mm2)
    mm2.add_argument("--format", choices=FORMATS, default="properties", help="output format (default properties)")
    mm2.add_argument("--output", "-o", help="write to this file instead of standard output")
    mm2.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = RENDERERS[args.format](load_stack(args))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0
