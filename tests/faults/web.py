"""gunicorn's configuration in the fault-injection tests: one fault armed by the environment
(`SALESMKT_FAULT`) in the worker process, which fires once per test and then hangs the request at
that point until the test kills the worker.

- `order-created-uncommitted`: an API order was written in the request's transaction, which has
  not committed yet.
"""

from __future__ import annotations

import os


def post_worker_init(worker) -> None:
    if os.environ.get("SALESMKT_FAULT") != "order-created-uncommitted":
        return
    from orders.api.views import SalesOrderViewSet
    from tests.faults.worker import _arm, _hang

    create = SalesOrderViewSet.create_service

    def create_then_hang(*, data, actor, **kwargs):
        order = create(data=data, actor=actor, **kwargs)
        if _arm():
            _hang(f"order {order.number} written, not committed")
        return order

    SalesOrderViewSet.create_service = staticmethod(create_then_hang)
