-- Snowflake: land raw JSON events, flatten them, and upsert users.
CREATE OR REPLACE TRANSIENT TABLE analytics.staging.events_flat AS
SELECT
    e.event_id,
    e.payload:user_id::string AS user_id,
    e.payload:type::string AS event_type,
    f.value:name::string AS property_name,
    f.value:value::variant AS property_value,
    e.loaded_at
FROM raw.events.events_json e,
     LATERAL FLATTEN(input => e.payload:properties) f
WHERE e.loaded_at > DATEADD(hour, -2, CURRENT_TIMESTAMP());

MERGE INTO analytics.core.users AS u
USING (
    SELECT user_id, MAX(loaded_at) AS last_seen_at, COUNT(*) AS events
    FROM analytics.staging.events_flat
    GROUP BY user_id
) AS s
ON u.user_id = s.user_id
WHEN MATCHED THEN UPDATE SET u.last_seen_at = s.last_seen_at, u.event_count = u.event_count + s.events
WHEN NOT MATCHED THEN INSERT (user_id, last_seen_at, event_count) VALUES (s.user_id, s.last_seen_at, s.events);

SELECT * EXCLUDE (property_value)
FROM analytics.staging.events_flat
QUALIFY ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY loaded_at DESC) = 1;
