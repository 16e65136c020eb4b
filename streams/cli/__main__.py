"""`python -m streams.cli ROLE`: how the supervisor starts its worker processes."""

from streams.cli.main import main

main()
