"""``python -m frontier_review.cli``."""

from frontier_review.cli.main import main

main()
