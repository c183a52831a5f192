"""`mer checkpoint` (not implemented yet)."""


def register(subparsers):
    parser = subparsers.add_parser("checkpoint", help="(not implemented yet)")
    parser.set_defaults(func=lambda args: print("mer checkpoint: not implemented yet") or 1)
