"""clausemap core: data model, clause ids, store, embedding, index and search.

This package imports neither FastAPI nor Typer: the API and the CLI are thin layers over it.
"""
