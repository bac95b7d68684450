-- A semi join outputs its left side only: the star is `sales`'s columns.
select *
from sales semi join items on sales.item = items.item and items.category = 'tools'
order by region, item, qty, price, day;
