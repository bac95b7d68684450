-- The dev portal's example warehouse (docs/validation.md): made into
-- .ripple/example.duckdb by scripts/example-warehouse.mjs at each start, and
-- configured as the warehouse `example` in app-config.yaml. The dataset
-- shop-orders (examples/warehouse/catalog.yaml) lives here.
CREATE SCHEMA shop;
CREATE TABLE shop.orders (
  id INTEGER,
  customer INTEGER,
  amount DECIMAL(12, 2),
  status VARCHAR,
  ordered_at DATE
);
INSERT INTO shop.orders (id, customer, amount, status, ordered_at) VALUES
  (1, 10, 25.00, 'paid', DATE '2026-11-01'),
  (2, 11, 12.50, 'open', DATE '2026-11-01'),
  (3, 10, 40.00, 'paid', DATE '2026-11-02'),
  (4, 12, 7.25, 'refunded', DATE '2026-11-03'),
  (5, 11, 19.99, 'paid', DATE '2026-11-03'),
  (6, 13, 3.10, 'open', DATE '2026-11-04');
