"""X: the adapter (`adapter.XNetwork`), the OAuth connect flow (`connect`) and its pages."""
