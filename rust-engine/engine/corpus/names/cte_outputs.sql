-- A CTE's unaliased column, read by name downstream.
with totals as (
  select item, sum(qty) from sales group by item
)
select * from totals order by item;
