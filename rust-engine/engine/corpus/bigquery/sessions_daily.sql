-- Daily session rollup, backfillable by @submission_date.
CREATE TEMP FUNCTION bucket(seconds INT64) AS (
  CASE WHEN seconds < 60 THEN 'short' WHEN seconds < 600 THEN 'medium' ELSE 'long' END
);

WITH events AS (
  SELECT
    client_id,
    session_id,
    event_timestamp,
    (SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'page_location') AS page,
    geo.country AS country,
    device.category AS device_category
  FROM `moz-fx-data-shared-prod.analytics.events_*`
  WHERE _TABLE_SUFFIX = FORMAT_DATE('%Y%m%d', @submission_date)
),
sessions AS (
  SELECT
    client_id,
    session_id,
    ANY_VALUE(country) AS country,
    ANY_VALUE(device_category) AS device_category,
    COUNT(DISTINCT page) AS pages,
    TIMESTAMP_DIFF(MAX(event_timestamp), MIN(event_timestamp), SECOND) AS duration_seconds
  FROM events
  GROUP BY ALL
)
SELECT
  @submission_date AS submission_date,
  country,
  device_category,
  bucket(duration_seconds) AS length,
  COUNT(*) AS sessions,
  SUM(pages) AS pages
FROM sessions
GROUP BY 1, 2, 3, 4
QUALIFY ROW_NUMBER() OVER (PARTITION BY country ORDER BY sessions DESC) <= 50
