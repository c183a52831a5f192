"""`mer demo` (not implemented yet)."""


def register(subparsers):
    parser = subparsers.add_parser("demo", help="(not implemented yet)")
    parser.set_defaults(func=lambda args: print("mer demo: not implemented yet") or 1)
