select *
from sales semi join items on sales.item = items.item
where category = 'tools'
order by region, item, qty, price, day;
