"""Daily active users per country, computed with Spark SQL."""

from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("dau").getOrCreate()

DAU_SQL = """
SELECT
    to_date(e.event_time) AS day,
    u.country,
    COUNT(DISTINCT e.user_id) AS dau
FROM lake.events e
JOIN lake.users u ON u.user_id = e.user_id
WHERE e.event_time >= date_sub(current_date(), 30)
GROUP BY to_date(e.event_time), u.country
"""


def run(day: str) -> None:
    dau = spark.sql(DAU_SQL)
    dau.createOrReplaceTempView("dau")
    spark.sql(
        f"INSERT OVERWRITE TABLE lake.dau_daily PARTITION (day = '{day}') "
        "SELECT country, dau FROM dau WHERE day = '" + day + "'"
    )
    top = spark.sql("""
        SELECT country, SUM(dau) AS total
        FROM lake.dau_daily
        GROUP BY country
        ORDER BY total DESC
        LIMIT 10
    """)
    top.show()


if __name__ == "__main__":
    run("2024-06-01")
