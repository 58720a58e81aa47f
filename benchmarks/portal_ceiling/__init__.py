"""The ceiling server of `benchmarks/portal.py`: the portal's settings and middleware, and one bare
view doing one indexed query. Only the benchmark runs it; the product has no such view."""
