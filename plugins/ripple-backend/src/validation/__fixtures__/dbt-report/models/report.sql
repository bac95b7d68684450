{{ config(materialized='table') }}

-- Paid and open orders, per status.
select
    status,
    sum(amount) as total,
    count(*) as orders
from {{ source('shop', 'orders') }}
where amount > 0
group by status
