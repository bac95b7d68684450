package com.example

import org.apache.spark.sql.{DataFrame, SparkSession}

/** Scores the last hour's orders for fraud risk. */
object FraudScoring {
  def recentOrders(spark: SparkSession, since: String): DataFrame =
    spark.sql(
      s"""
         |SELECT id, cust, amount, ts
         |FROM proj.ds.orders
         |WHERE ts >= '$since' AND amount > 0
         |""".stripMargin)

  def main(args: Array[String]): Unit = {
    val spark = SparkSession.builder().appName("fraud-scoring").getOrCreate()
    val orders = recentOrders(spark, args.headOption.getOrElse("1970-01-01"))
    val scored = orders.selectExpr("id", "cust", "amount > 1000 AS suspicious")
    scored.write.mode("append").saveAsTable("risk.order_scores")
  }
}
