-- A bare ORDER BY name is the output alias; inside an expression, the column.
select qty * 2 as qty, item
from sales
order by qty, item, qty + 0;
