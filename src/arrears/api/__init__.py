"""The HTTP API (FastAPI): `create_app` in `arrears.api.app`, one router per resource."""
