-- Straight from the source: every order counts here, cancelled ones too.
select
    cast(ordered_at as date) as order_day,
    count(*) as orders,
    sum(amount_cents) as amount_cents
from {{ source('ecom', 'raw_orders') }}
group by cast(ordered_at as date)
