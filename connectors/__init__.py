"""One pure-Python class per mall. Knows nothing about HTTP requests or templates."""
