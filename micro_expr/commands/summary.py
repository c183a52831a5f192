"""`mer summary` (not implemented yet)."""


def register(subparsers):
    parser = subparsers.add_parser("summary", help="(not implemented yet)")
    parser.set_defaults(func=lambda args: print("mer summary: not implemented yet") or 1)
