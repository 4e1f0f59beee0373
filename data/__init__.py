"""Reference and sample data shipped with fugong (read with importlib.resources)."""
