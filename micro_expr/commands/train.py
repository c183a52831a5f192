"""`mer train` (not implemented yet)."""


def register(subparsers):
    parser = subparsers.add_parser("train", help="(not implemented yet)")
    parser.set_defaults(func=lambda args: print("mer train: not implemented yet") or 1)
