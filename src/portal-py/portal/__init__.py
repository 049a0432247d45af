"""Portal's Python client: log runs and versioned artifacts, read versions, diffs and lineage."""
__version__ = "0.1.0"
