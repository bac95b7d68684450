-- Output columns DuckDB names after their text.
select region, sum(qty), max(sales.price) + 1, count(*)
from sales
group by region
order by region;
