"""Protocols as data: the model, the TOML/JSON loader, the static checks and the engine."""
