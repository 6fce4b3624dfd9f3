"""What the API is built on below its routes and middleware: token security."""
