"""cliproxyctl: the command-line handle on the cliproxy daemon."""
