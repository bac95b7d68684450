-- The same model as patched for `amount` renamed to `amount_usd`, run
-- before the table is: DuckDB refuses the column, and the run FAILs.
select customer_id, sum(amount_usd) as revenue
from {{ source('shop', 'orders') }}
where status = 'completed'
group by customer_id
