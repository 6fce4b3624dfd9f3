"""Auth, rate limiting, CORS and request logging."""
