"""The sync's tests use the fixtures of tests/conftest.py and the helpers of tests/sandboxes.py."""
