"""`mer mean` (not implemented yet)."""


def register(subparsers):
    parser = subparsers.add_parser("mean", help="(not implemented yet)")
    parser.set_defaults(func=lambda args: print("mer mean: not implemented yet") or 1)
