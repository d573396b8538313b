"""Build tooling, outside the shipped `app` package (`python -m tools.build_native` compiles)."""
