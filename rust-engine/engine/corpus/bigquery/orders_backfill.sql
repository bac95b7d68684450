DECLARE start_date DATE DEFAULT DATE '2024-01-01';
DECLARE end_date DATE DEFAULT CURRENT_DATE();
DECLARE d DATE;

SET d = start_date;

WHILE d < end_date DO
  DELETE FROM `proj.reporting.daily_orders` WHERE order_date = d;

  INSERT INTO `proj.reporting.daily_orders` (order_date, customer_id, orders, revenue)
  SELECT
    DATE(o.ts) AS order_date,
    o.cust AS customer_id,
    COUNT(*) AS orders,
    SUM(o.amount) AS revenue
  FROM `proj.ds.orders` AS o
  LEFT JOIN `proj.ds.refunds` AS r USING (order_id)
  WHERE DATE(o.ts) = d AND r.order_id IS NULL
  GROUP BY 1, 2;

  SET d = DATE_ADD(d, INTERVAL 1 DAY);
END WHILE;

MERGE `proj.reporting.customer_totals` T
USING (
  SELECT customer_id, SUM(revenue) AS revenue, MAX(order_date) AS last_order
  FROM `proj.reporting.daily_orders`
  GROUP BY customer_id
) S
ON T.customer_id = S.customer_id
WHEN MATCHED THEN UPDATE SET revenue = S.revenue, last_order = S.last_order
WHEN NOT MATCHED THEN INSERT (customer_id, revenue, last_order) VALUES (customer_id, revenue, last_order);
