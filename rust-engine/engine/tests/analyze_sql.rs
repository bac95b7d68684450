//! Column-level analysis of SQL, per dialect and feature. Every snapshot shows
//! the input with line numbers, then each reference with the exact text its
//! span covers and what it resolved to.

mod common;

use common::{schema, snapshot};
use ripple_engine::Language::Sql;

#[test]
fn bigquery_aliases_joins_and_backquoted_names() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT o.id, c.name AS customer, SUM(o.amount) AS total
FROM `proj.ds.orders` AS o
JOIN proj.ds.customers c ON c.id = o.cust
WHERE o.status = 'paid'
GROUP BY o.id, customer",
        None
    ));
}

#[test]
fn bigquery_hyphenated_project_names_have_exact_spans() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT orders.amount FROM my-project.ds.orders
UNION ALL
SELECT t.amount FROM `my-project.ds.refunds` t",
        None
    ));
}

#[test]
fn ctes_pass_columns_through_and_compute_new_ones() {
    check!(snapshot(
        "generic",
        Sql,
        "\
WITH paid AS (
  SELECT id, amount, amount * 0.2 AS tax FROM shop.orders WHERE status = 'paid'
),
big AS (SELECT * FROM paid WHERE amount > 100)
SELECT id, amount, tax FROM big",
        None
    ));
}

#[test]
fn recursive_cte_reads_itself() {
    check!(snapshot(
        "postgres",
        Sql,
        "\
WITH RECURSIVE tree AS (
  SELECT id, parent_id, 1 AS depth FROM org.units WHERE parent_id IS NULL
  UNION ALL
  SELECT u.id, u.parent_id, t.depth + 1 FROM org.units u JOIN tree t ON u.parent_id = t.id
)
SELECT id, depth FROM tree",
        None
    ));
}

#[test]
fn derived_tables_and_correlated_subqueries() {
    check!(snapshot(
        "snowflake",
        Sql,
        "\
SELECT x.customer_id, x.total
FROM (SELECT customer_id, SUM(amount) AS total FROM sales.orders GROUP BY customer_id) x
WHERE EXISTS (SELECT 1 FROM sales.refunds r WHERE r.customer_id = x.customer_id AND r.amount > x.total)
  AND x.total > (SELECT AVG(amount) FROM sales.orders)",
        None
    ));
}

#[test]
fn using_and_natural_joins() {
    check!(snapshot(
        "postgres",
        Sql,
        "\
SELECT order_id, o.amount, p.method
FROM shop.orders o
JOIN shop.payments p USING (order_id)
NATURAL JOIN shop.shipments",
        None
    ));
}

#[test]
fn set_operations_merge_lineage() {
    check!(snapshot(
        "redshift",
        Sql,
        "\
SELECT id, amount FROM sales.orders
UNION
SELECT id, refund_amount FROM sales.refunds
EXCEPT
SELECT id, amount FROM sales.test_orders",
        None
    ));
}

#[test]
fn window_functions_qualify_and_aliases_in_later_clauses() {
    check!(snapshot(
        "snowflake",
        Sql,
        "\
SELECT customer_id, amount AS amt,
       ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY ts DESC) AS rn
FROM sales.orders
QUALIFY rn = 1
ORDER BY amt DESC, customer_id",
        None
    ));
}

#[test]
fn group_by_all() {
    check!(snapshot(
        "databricks",
        Sql,
        "\
SELECT region, product, SUM(revenue) AS revenue FROM lake.sales GROUP BY ALL",
        None
    ));
}

#[test]
fn bigquery_unnest_and_struct_paths() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT o.id, item.sku, item.price * item.qty AS line_total, o.customer.address.city
FROM `proj.ds.orders` o, UNNEST(o.items) AS item WITH OFFSET AS pos
WHERE pos < 10",
        None
    ));
}

#[test]
fn snowflake_lateral_flatten() {
    check!(snapshot(
        "snowflake",
        Sql,
        "\
SELECT e.id, f.value:name::string AS tag
FROM raw.events e, LATERAL FLATTEN(input => e.tags) f",
        None
    ));
}

#[test]
fn hive_lateral_view_explode() {
    check!(snapshot(
        "hive",
        Sql,
        "\
SELECT u.id, t.tag FROM warehouse.users u LATERAL VIEW explode(u.tags) t AS tag",
        None
    ));
}

#[test]
fn select_star_with_a_schema_expands_and_except_replace_name_columns() {
    let schema = schema(
        r#"{"tables": {"proj.ds.orders": {"columns": [
        {"name": "id", "type": "INT64"}, {"name": "amount", "type": "NUMERIC"},
        {"name": "legacy_flag", "type": "BOOL"}, {"name": "ts", "type": "TIMESTAMP"}]}}}"#,
    );
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT * EXCEPT (legacy_flag) REPLACE (amount * 100 AS amount) FROM proj.ds.orders;
SELECT o.*, 1 AS one FROM `proj.ds.orders` o;
SELECT * FROM proj.ds.unknown_table",
        Some(&schema)
    ));
}

#[test]
fn ambiguous_and_unresolved_references_are_reported_not_guessed() {
    let schema = schema(
        r#"{"tables": {"a.t1": {"columns": [{"name": "id"}, {"name": "x"}]},
                                       "a.t2": {"columns": [{"name": "id"}, {"name": "y"}]}}}"#,
    );
    check!(snapshot(
        "generic",
        Sql,
        "\
SELECT id, x, y, z, nope.col FROM a.t1 JOIN a.t2 ON t1.id = t2.id;
SELECT k FROM u1, u2",
        Some(&schema)
    ));
}

#[test]
fn dml_insert_update_delete_merge() {
    check!(snapshot(
        "snowflake",
        Sql,
        "\
INSERT INTO mart.daily (day, total) SELECT DATE(ts), SUM(amount) FROM raw.orders GROUP BY 1;
UPDATE mart.customers c SET tier = 'gold', updated_at = s.ts FROM raw.scores s WHERE s.customer_id = c.id AND s.score > 90;
DELETE FROM mart.daily WHERE day < '2020-01-01';
MERGE INTO mart.customers t USING raw.customers s ON t.id = s.id
  WHEN MATCHED AND s.deleted THEN DELETE
  WHEN MATCHED THEN UPDATE SET t.name = s.name
  WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)",
        None
    ));
}

#[test]
fn create_view_and_table_as() {
    check!(snapshot(
        "duckdb",
        Sql,
        "\
CREATE VIEW analytics.v_orders AS SELECT id, amount FROM main.orders;
CREATE TABLE analytics.t AS SELECT v.id FROM analytics.v_orders v",
        None
    ));
}

#[test]
fn mysql_backticks() {
    check!(snapshot(
        "mysql",
        Sql,
        "\
SELECT `o`.`id`, `amount` FROM `shop`.`orders` `o` WHERE `o`.`status` = 'x'",
        None
    ));
}

#[test]
fn bigquery_scripting_declare_set_if_loop_execute_immediate() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
DECLARE cutoff DATE DEFAULT DATE_SUB(CURRENT_DATE(), INTERVAL 7 DAY);
DECLARE n INT64;
SET n = (SELECT COUNT(*) FROM `proj.ds.orders` WHERE DATE(ts) >= cutoff);
IF n > 0 THEN
  INSERT INTO proj.ds.recent (id, amount) SELECT id, amount FROM proj.ds.orders WHERE DATE(ts) >= cutoff;
END IF;
LOOP
  SET n = n - 1;
  IF n <= 0 THEN LEAVE; END IF;
END LOOP;
EXECUTE IMMEDIATE 'SELECT * FROM proj.ds.orders';
CREATE TEMP FUNCTION twice(x INT64) AS (x * 2);
SELECT twice(amount) FROM proj.ds.orders",
        None
    ));
}

#[test]
fn bigquery_scripting_blocks_analyse_their_statements_one_by_one() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
CREATE OR REPLACE PROCEDURE ds.refresh(day DATE, OUT status STRING)
BEGIN
  DELETE FROM ds.daily WHERE d = day;
  SET status = 'ok';
END;
DECLARE n INT64 DEFAULT 0;
WHILE n < (SELECT MAX(k) FROM ds.limits) DO
  SET n = n + 1;
END WHILE;
REPEAT
  INSERT INTO ds.log (x) VALUES (n);
UNTIL n >= 10 END REPEAT;
FOR rec IN (SELECT id, amount FROM ds.orders WHERE amount > 0) DO
  INSERT INTO ds.copy (id, total) VALUES (rec.id, rec.amount);
END FOR;
BEGIN
  SELECT a FROM ds.t;
  SELECT FROBNICATE b c FROM ds.u;
EXCEPTION WHEN ERROR THEN
  SELECT @@error.message;
END;
SELECT rec FROM ds.r",
        None
    ));
}

#[test]
fn bigquery_typed_array_literals_and_bit_shifts() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT
  ARRAY<STRUCT<experiment STRING, bits INT64>>[] AS seen,
  ARRAY<INT64>[days, 2] AS xs,
  bits << 1 AS shifted
FROM ds.t",
        None
    ));
}

#[test]
fn bigquery_pipe_syntax_resolves_each_operator_over_the_table_before() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
FROM proj.ds.orders AS o
|> WHERE o.status = 'paid'
|> EXTEND amount * 0.2 AS tax
|> AGGREGATE SUM(amount) AS total, SUM(tax) AS taxes GROUP BY customer_id
|> JOIN proj.ds.customers AS c ON c.id = customer_id
|> SELECT c.name, total, taxes
|> ORDER BY total DESC;
SELECT id, price FROM proj.ds.items
|> RENAME price AS cost
|> AS i
|> WHERE i.cost > 10
|> DROP id",
        None
    ));
}

#[test]
fn bigquery_keywords_after_a_dot_are_names() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT assert.null(t.x), mozfun.assert.true(t.flag), assert.false(flag)
FROM ds.t",
        None
    ));
}

#[test]
fn an_unclosed_block_is_reported() {
    check!(snapshot("bigquery", Sql, "LOOP\n  SELECT a FROM ds.t;\n", None));
}

#[test]
fn a_statement_that_does_not_parse_is_scanned_and_the_rest_analysed() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT id FROM proj.ds.a;
SELECT amount, FROBNICATE(x) y z FROM proj.ds.orders o JOIN proj.ds.c ON o.id = c.id WHERE;
SELECT name FROM proj.ds.b",
        None
    ));
}

#[test]
fn an_unterminated_string_still_finds_the_names() {
    check!(snapshot("postgres", Sql, "SELECT amount FROM shop.orders WHERE note = 'oops", None));
}

#[test]
fn date_parts_are_not_columns() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT DATE_TRUNC(ts, MONTH) AS m, DATE_DIFF(a, b, DAY), EXTRACT(YEAR FROM ts), TIMESTAMP_TRUNC(ts, WEEK(MONDAY)) FROM proj.ds.t",
        None
    ));
}

#[test]
fn bigquery_pipe_window_distinct_and_group_and_order_by() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
FROM ds.sales
|> WINDOW SUM(amount) OVER (PARTITION BY item) AS item_total
|> DISTINCT
|> AGGREGATE SUM(item_total) AS total GROUP AND ORDER BY category DESC",
        None
    ));
}

#[test]
fn bigquery_block_labels_and_drop_snapshot_table() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
DROP SNAPSHOT TABLE `p.ds.orders_snapshot`;
outer_loop: LOOP
  SELECT id FROM ds.orders;
  LEAVE outer_loop;
END LOOP outer_loop;
checks: BEGIN
  SELECT amount FROM ds.refunds;
END checks;",
        None
    ));
}

#[test]
fn a_whole_statement_without_its_semicolon_is_parsed_with_a_warning() {
    check!(snapshot(
        "bigquery",
        Sql,
        "\
SELECT COUNT(*) FROM ds.orders WHERE amount > 0
#fail
ASSERT NOT EXISTS(SELECT 1 FROM ds.orders o WHERE o.amount < 0)
SELECT status FROM ds.orders WHERE
SELECT 1",
        None
    ));
}

#[test]
fn postgres_composite_fields_are_paths_of_their_column() {
    check!(snapshot(
        "postgres",
        Sql,
        "\
SELECT (o.customer).id, ((o.customer).address).city, (o.lines)[1].sku
FROM shop.orders o",
        None
    ));
}
