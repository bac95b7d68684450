"""Nightly export of yesterday's paid orders for the payment partner."""

import csv
import datetime as dt

from google.cloud import bigquery

EXPORT_QUERY = """
SELECT
  o.id,
  o.amount,
  o.ts,
  c.email
FROM `proj.ds.orders` AS o
JOIN `proj.ds.customers` AS c ON c.id = o.cust
WHERE DATE(o.ts) = @day
  AND o.status = 'paid'
ORDER BY o.ts
"""


def export(day: dt.date, path: str) -> int:
    client = bigquery.Client()
    job = client.query(
        EXPORT_QUERY,
        job_config=bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter("day", "DATE", day)]
        ),
    )
    rows = 0
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["order_id", "amount", "ordered_at", "email"])
        for row in job.result():
            writer.writerow([row.id, row.amount, row.ts.isoformat(), row.email])
            rows += 1
    return rows


if __name__ == "__main__":
    yesterday = dt.date.today() - dt.timedelta(days=1)
    print(export(yesterday, f"orders-{yesterday}.csv"), "orders exported")
