"""apiconform: conformance suite for vendor list APIs."""

__version__ = "0.1.0"
