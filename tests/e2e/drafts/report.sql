SELECT status, sum(amount) AS total FROM shop.e2e_orders GROUP BY status;
