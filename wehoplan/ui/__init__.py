"""The only Streamlit-aware modules of the library (GUIDE §5.2)."""
