"""The minimal Django + DRF order app that `make bench` measures salesmkt's order entry against.

Installed only by the benchmark settings (`tests.benchmarks.settings`): an order and its lines,
a ModelSerializer whose nested lines are written with one bulk_create, and a plain
CreateAPIView with DRF's stock authentication and permission (no token, no model permissions,
no throttling, no pricing, no inventory, no numbering, no audit). It is the floor: what the
framework and PostgreSQL cost for the same request body.
"""
