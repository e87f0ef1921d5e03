"""HTTP adapters: the FastAPI app factory, middleware, error mapping, templates."""
