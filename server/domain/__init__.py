"""The queue's rules as plain Python: no Flask, no SQLAlchemy.

Everything here is a value or a pure function, so it can be unit-tested in isolation and
reused by the service layer, the statistics and the benchmarks alike.
"""
