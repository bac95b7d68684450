-- WHERE reads the column, not the alias of the same name.
select qty + 100 as qty, item
from sales
where qty > 1 and region = 'north'
order by item, qty;
