-- A later item names both an earlier alias and a column: DuckDB reads the column.
select region, sum(qty) as qty, sum(price * qty) / sum(qty) as avg_price
from sales
group by region
order by region;
