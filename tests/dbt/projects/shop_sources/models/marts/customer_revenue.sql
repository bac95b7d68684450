with orders as (
    select * from {{ ref('stg_shop_orders') }}
),

items as (
    select * from {{ ref('stg_shop_items') }}
),

order_lines as (
    select
        order_id,
        sum(quantity) as units
    from items
    group by order_id
)

select
    orders.customer_id,
    count(*) as orders,
    count(*) filter (where orders.status = 'delivered') as delivered_orders,
    sum(orders.amount) as revenue,
    sum(order_lines.units) as units
from orders
left join order_lines
    on order_lines.order_id = orders.order_id
group by orders.customer_id
