-- Revenue per customer, from the orders the migration changes.
select customer_id, sum(amount) as revenue
from {{ source('shop', 'orders') }}
where status = 'completed'
group by customer_id
