"""The HTTP service: a FastAPI app over the knowledge base (``create_app(settings)``)."""
