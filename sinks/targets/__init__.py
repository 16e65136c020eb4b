"""The targets a sink can write to, one module each; ``build_target`` makes one from its config."""
