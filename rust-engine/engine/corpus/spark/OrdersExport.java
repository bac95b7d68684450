package com.example.export;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Exports yesterday's paid orders over JDBC. */
public final class OrdersExport {
  private static final String QUERY =
      "SELECT o.id, o.amount, o.ts, c.email "
          + "FROM shop.orders o "
          + "JOIN shop.customers c ON c.id = o.cust "
          + "WHERE o.status = ? AND o.ts >= ?";

  public int export(Connection connection, java.sql.Timestamp since) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(QUERY)) {
      statement.setString(1, "paid");
      statement.setTimestamp(2, since);
      int rows = 0;
      try (ResultSet result = statement.executeQuery()) {
        while (result.next()) {
          rows++;
        }
      }
      return rows;
    }
  }
}
