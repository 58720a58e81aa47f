"""The ceiling server of `benchmarks/workbench.py`: the police zone's settings and middleware, and
one bare view doing one indexed query. Only the benchmark runs it; the product has no such view."""
