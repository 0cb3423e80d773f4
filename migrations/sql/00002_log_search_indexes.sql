-- +goose NO TRANSACTION
-- Log search by tenant with a facility or event type filter, newest first,
-- without scanning the tenant's other deliveries. CONCURRENTLY: the table
-- may already be large when this runs.
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_client_facility_created ON deliveries (client_id, facility_id, created_at DESC, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_client_event_created ON deliveries (client_id, event_type, created_at DESC, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_client_event_facility_created ON deliveries (client_id, event_type, facility_id, created_at DESC, id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_event_created ON deliveries (event_type, created_at DESC, id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_event_created;
DROP INDEX CONCURRENTLY IF EXISTS deliveries_client_event_facility_created;
DROP INDEX CONCURRENTLY IF EXISTS deliveries_client_event_created;
DROP INDEX CONCURRENTLY IF EXISTS deliveries_client_facility_created;
