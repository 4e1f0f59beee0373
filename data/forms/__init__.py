"""The upward forms shipped with fugong: templates (.xlsx) and their mappings (.toml)."""
