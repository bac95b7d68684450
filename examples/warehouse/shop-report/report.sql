SELECT status, count(*) AS orders, sum(amount) AS revenue
FROM shop.orders
WHERE ordered_at >= DATE '2026-11-01'
GROUP BY status;
