select
    o.*,
    c.customer_name
from {{ ref('stg_shop_orders') }} as o
join {{ ref('stg_shop_customers') }} as c
    on c.customer_id = o.customer_id
