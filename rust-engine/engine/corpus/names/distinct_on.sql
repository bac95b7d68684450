select distinct on (region) region, item, price
from sales
order by region, price desc, item;
