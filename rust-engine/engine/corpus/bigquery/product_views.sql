CREATE OR REPLACE VIEW `proj.reporting.product_views` AS
SELECT
  p.sku,
  p.attributes.brand AS brand,
  item.quantity,
  item.price * item.quantity AS line_revenue,
  o.customer.address.country AS country,
  STRUCT(o.id AS order_id, o.ts AS ordered_at) AS order_ref
FROM `proj.ds.orders` o
CROSS JOIN UNNEST(o.items) AS item
JOIN `proj.ds.products` p ON p.sku = item.sku
WHERE o.status IN ('paid', 'shipped')
  AND ARRAY_LENGTH(o.items) > 0
