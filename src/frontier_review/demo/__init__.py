"""Demo data: a believable scenario for a first look (``make run``) and browser tests."""
