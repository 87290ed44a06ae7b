"""`python -m agrs` runs the `agrs` command."""

from agrs.cli import main

main()
