"""``python -m frontier_review.mockllm``: serve the fake model in this process."""

from frontier_review.mockllm.server import main

main()
