select
    id as item_id,
    order_id,
    sku,
    quantity,
    quantity * unit_price_cents as line_cents
from {{ source('ecom', 'raw_items') }}
