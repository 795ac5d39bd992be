"""Floor pages of benchmark 1: the same Streamlit elements fed with precomputed data."""
