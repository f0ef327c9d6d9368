"""The transport: the guarded HTTP session and the one redaction. It builds on nothing else of the
engine but the option defaults (options.py)."""
