select
    o.id as order_id,
    o.customer_id,
    cast(o.ordered_at as date) as ordered_on,
    o.status,
    o.amount_cents / 100.0 as amount
from {{ source('ecom', 'raw_orders') }} as o
where o.status != 'cancelled'
