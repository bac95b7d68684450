-- A payment is never negative: refunds are their own rows' status.
select
    payment_id,
    amount
from {{ ref('stg_payments') }}
where amount < 0
