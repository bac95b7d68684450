WITH monthly AS (
    SELECT
        DATE_TRUNC('month', o.order_date) AS month,
        c.region,
        SUM(o.amount_usd) AS revenue,
        COUNT(DISTINCT o.customer_id) AS customers
    FROM sales.public.orders o
    INNER JOIN sales.public.customers c ON c.customer_id = o.customer_id
    WHERE o.status <> 'cancelled'
    GROUP BY 1, 2
),
ranked AS (
    SELECT
        month,
        region,
        revenue,
        customers,
        revenue / NULLIF(customers, 0) AS revenue_per_customer,
        LAG(revenue) OVER (PARTITION BY region ORDER BY month) AS previous_revenue
    FROM monthly
)
SELECT
    r.*,
    IFF(previous_revenue IS NULL, NULL, (revenue - previous_revenue) / previous_revenue) AS growth
FROM ranked r
ORDER BY month DESC, region;
