{{ config(materialized='incremental', unique_key=['order_date', 'customer_id']) }}

-- Revenue per day and customer; paid orders only.
select
    o.order_date,
    c.id as customer_id,
    c.name as customer_name,
    sum(o.amount) as revenue,
    count(*) as orders
from {{ ref('stg_orders') }} as o
join {{ source('shop', 'customers') }} as c
    on c.id = o.customer_id
where o.status = 'paid'
{% if is_incremental() %}
    and o.order_date >= (select max(order_date) from {{ this }})
{% endif %}
group by 1, 2, 3
