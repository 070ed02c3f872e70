"""The ``skb`` command (also ``python -m skb``)."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="skb", description="The sk_buff memory model.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tour", help="the memory model step by step")
    args = parser.parse_args(argv)
    if args.command == "tour":
        from .tour import run

        run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
