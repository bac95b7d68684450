package com.example.jobs

import org.apache.spark.sql.SparkSession

object Sessionize {
  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().appName("sessionize").getOrCreate()
    val day = args(0)
    spark.sql(
      s"""
         |INSERT OVERWRITE TABLE lake.sessions PARTITION (day = '$day')
         |SELECT user_id,
         |       session_id,
         |       MIN(event_time) AS started_at,
         |       MAX(event_time) AS ended_at,
         |       COUNT(*) AS events
         |FROM (
         |  SELECT user_id, event_time,
         |         SUM(is_new) OVER (PARTITION BY user_id ORDER BY event_time) AS session_id
         |  FROM (
         |    SELECT user_id, event_time,
         |           CASE WHEN unix_timestamp(event_time) - LAG(unix_timestamp(event_time))
         |                OVER (PARTITION BY user_id ORDER BY event_time) > 1800 THEN 1 ELSE 0 END AS is_new
         |    FROM lake.events
         |    WHERE to_date(event_time) = '$day'
         |  ) marked
         |) sessioned
         |GROUP BY user_id, session_id
         |""".stripMargin)
  }
}
