select *
from (select region, item, qty from sales) as s
pivot (sum(qty) for region in ('north', 'south'))
order by item;
