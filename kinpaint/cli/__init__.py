"""The `kinpaint` command: one module per sub-command, each thin over the library."""
