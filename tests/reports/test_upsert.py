"""The upsert is set-based: the same handful of statements for 5 lines or 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import event
from sqlalchemy.orm import Session

from reports import store_report_lines
from tests.factories import business_today, make_product, make_store


@contextmanager
def counted_statements(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind().engine

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def rows_for(session: Session, stores: int, products: int, stock: float) -> pd.DataFrame:
    store_ids = [make_store(session).id for _ in range(stores)]
    product_ids = [make_product(session).id for _ in range(products)]
    return pd.DataFrame(
        [
            {
                "store_id": store,
                "report_date": business_today(),
                "product_id": product,
                "stock": stock,
                "sales": 1.0,
                "price": 2.5,
                "received": None,
            }
            for store in store_ids
            for product in product_ids
        ]
    )


def test_statement_count_does_not_grow_with_lines(session: Session) -> None:
    small = rows_for(session, 1, 5, 10.0)
    large = rows_for(session, 10, 50, 10.0)
    session.flush()
    with counted_statements(session) as few:
        assert store_report_lines(session, small, submitted_by="t").inserted == 5
    with counted_statements(session) as many:
        assert store_report_lines(session, large, submitted_by="t").inserted == 500
    assert len(many) == len(few) <= 8
    changed = large.assign(stock=large["stock"] + [0.0, 1.0] * 250)
    with counted_statements(session) as corrections:
        counts = store_report_lines(session, changed, submitted_by="t")
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 250, 250)
    assert len(corrections) <= 8
