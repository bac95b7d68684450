//! Analysis of dbt models and of SQL inside Python, Java and Scala: the SQL
//! found, and every position mapped back to the file.

mod common;

use common::snapshot;
use ripple_engine::Language::{Dbt, Java, Python, Scala};

#[test]
fn dbt_model_with_config_refs_sources_and_incremental_block() {
    check!(snapshot(
        "bigquery",
        Dbt,
        "\
{{ config(materialized='incremental', unique_key='order_id') }}

with orders as (
    select * from {{ ref('stg_orders') }}
),
customers as (
    select id, name from {{ source('shop', 'customers') }}
)
select o.order_id, c.name, o.amount
from orders o
join customers c on c.id = o.customer_id
{% if is_incremental() %}
where o.ordered_at > (select max(ordered_at) from {{ this }})
{% endif %}
{% for status in ['paid', 'refunded'] %}
  and o.status != '{{ status }}'
{% endfor %}",
        None
    ));
}

#[test]
fn dbt_macros_and_vars_are_not_tables() {
    check!(snapshot(
        "snowflake",
        Dbt,
        "\
{% macro cents_to_dollars(col) %}({{ col }} / 100)::numeric(16, 2){% endmacro %}
select id, {{ cents_to_dollars('amount') }} as amount_usd, {{ var('region_col') }}
from {{ source('raw', 'payments') }}
where created_at >= '{{ var(\"start_date\") }}'",
        None
    ));
}

#[test]
fn python_queries_in_spark_sql_client_query_and_f_strings() {
    check!(snapshot(
        "bigquery",
        Python,
        r#"
from google.cloud import bigquery

LABEL = "Select a report"  # prose, not SQL

def load(client, table):
    rows = client.query("""
        SELECT id, amount
        FROM `proj.ds.orders`
        WHERE status = 'paid'
    """).result()
    recent = spark.sql(f"SELECT o.id, o.{table}_ts FROM proj.ds.orders o WHERE o.day = '{day}'")
    return rows, recent
"#,
        None
    ));
}

#[test]
fn python_dbapi_parameters_and_concatenation() {
    check!(snapshot(
        "postgres",
        Python,
        r#"
cursor.execute(
    "UPDATE shop.orders SET status = %s "
    "WHERE id = %(order_id)s AND amount > " + str(limit)
)
"#,
        None
    ));
}

#[test]
fn java_jdbc_strings_and_text_blocks() {
    check!(snapshot(
        "snowflake",
        Java,
        r#"
class Orders {
  // SELECT nothing FROM comment
  static final String TOTALS =
      "SELECT customer_id, SUM(amount) AS total " +
      "FROM sales.orders " +
      "WHERE status = 'paid' GROUP BY customer_id";

  void archive(Connection c) throws SQLException {
    c.prepareStatement("""
        INSERT INTO sales.orders_archive (id, amount)
        SELECT id, amount FROM sales.orders WHERE ts < ?
        """).execute();
  }
}
"#,
        None
    ));
}

#[test]
fn scala_spark_sql_interpolation_and_scio_query() {
    check!(snapshot(
        "bigquery",
        Scala,
        r#"
object Job {
  val since = "2024-01-01"
  def run(spark: SparkSession) = {
    spark.sql(s"""
      |SELECT id, cust, amount
      |FROM proj.ds.orders
      |WHERE ts >= '$since' AND region = '${cfg.region}'
      |""".stripMargin)
    sc.bigQuerySelect("SELECT cust, COUNT(*) AS n FROM `proj.ds.orders` GROUP BY cust")
  }
}
"#,
        None
    ));
}

#[test]
fn dbt_if_else_renders_the_first_branch_and_scans_the_others() {
    check!(snapshot(
        "bigquery",
        Dbt,
        "\
select client_id, submission_date
from {{ ref('clients_daily') }}
where
  {% if is_init() %}
    submission_date >= '2020-01-01'
  {% else %}
    submission_date = @submission_date and sample_id < 10
  {% endif %}
{{ dbt_utils.group_by(2) }}",
        None
    ));
}

#[test]
fn dbt_clause_macros_and_qualified_macro_arguments() {
    check!(snapshot(
        "snowflake",
        Dbt,
        "\
/* monthly revenue */
WITH fct AS (
  SELECT account_id, month, SUM(mrr) AS mrr
  FROM {{ ref('fct_mrr') }}
  WHERE status IN ('Active')
  {{ dbt_utils.group_by(n=2) }}
), final AS (
  SELECT
    {{ dbt_utils.surrogate_key(['fct.account_id', 'fct.month']) }} AS id,
    TRIM({{ dbt.split_part('fct.account_id', \"'-'\", 1) }}) AS prefix,
    fct.mrr
  FROM fct
)
{{ dbt_audit(cte_ref=\"final\", created_by=\"@someone\") }}",
        None
    ));
}

#[test]
fn dbt_set_block_queries_loop_separators_and_condition_macros() {
    check!(snapshot(
        "snowflake",
        Dbt,
        "\
{%- set source_sql -%}
    select c.customer_key, c.name from {{ ref('stg_customers') }} c
{%- endset -%}
{{ get_scd_sql(source_sql) }}
;
select version from {{ ref('releases') }}
{{ live_only() }}
{% if var('active_only', true) %}
  and version like any ({% for m in ['1', '2'] %}'{{ m }}%'{% if not loop.last %},{% endif %}{% endfor %})
{% endif %}",
        None
    ));
}

#[test]
fn bigquery_etl_checks_with_a_comment_and_statement_macros() {
    check!(snapshot(
        "bigquery",
        Dbt,
        "\
{#
-- Commented out: we're ending up with duplicates.
{{ is_unique([\"client_id\"]) }}
#}

#fail
{{ not_null(columns=[\"client_id\"]) }}

#warn
SELECT IF(COUNT(*) = 0, NULL, ERROR('no rows')) FROM `{{ project_id }}.ds.clients` WHERE submission_date = @submission_date",
        None
    ));
}

#[test]
fn python_docstrings_are_documentation_not_queries() {
    check!(snapshot(
        "bigquery",
        Python,
        r#"
def create_tmp_table(client, name):
    """Create temp table to capture last modified dates."""
    client.query(f"CREATE TABLE {name} AS SELECT table_id, last_modified FROM ds.tables")
"#,
        None
    ));
}
