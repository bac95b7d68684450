-- Month-end close: revenue booked per month, and orders still unpaid.
DECLARE close_month DATE DEFAULT DATE_TRUNC(CURRENT_DATE(), MONTH);

CREATE OR REPLACE TABLE `proj.finance.monthly_revenue` AS
SELECT
  DATE_TRUNC(order_date, MONTH) AS month,
  SUM(revenue) AS revenue
FROM `proj.reporting.daily_revenue`
GROUP BY month;

INSERT INTO `proj.finance.unpaid_orders` (order_id, amount, ordered_at)
SELECT id, amount, ts
FROM `proj.ds.orders`
WHERE status != 'paid'
  AND DATE(ts) < close_month;
