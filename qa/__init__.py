"""Quality checks that are neither unit tests nor paper experiments (bad-input replay through the real CLI)."""
