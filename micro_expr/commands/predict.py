"""`mer predict` (not implemented yet)."""


def register(subparsers):
    parser = subparsers.add_parser("predict", help="(not implemented yet)")
    parser.set_defaults(func=lambda args: print("mer predict: not implemented yet") or 1)
