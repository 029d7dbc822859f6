"""CYPHER API gateway: the only public entry point."""
