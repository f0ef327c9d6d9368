"""Top-level pytest configuration: the project's own tests (tests/) share the reference-server fixtures."""

pytest_plugins = ["apiconform.server.testing"]
