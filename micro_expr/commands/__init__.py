"""One module per `mer` sub-command; each defines `register(subparsers)`."""
