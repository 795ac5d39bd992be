"""wehoplan: run a city's strategic plan: keep it, update it, roll progress up, see trends."""

__version__ = "0.1.0"
