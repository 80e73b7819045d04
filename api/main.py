"""The ASGI app for ``uvicorn api.main:app`` (several workers), configured from the environment."""

from api.app import create_app

app = create_app()
