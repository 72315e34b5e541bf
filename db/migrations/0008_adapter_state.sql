-- What the media buy's ad-server adapter needs to carry between calls
-- (issue 5): {"principal_mappings": the buyer's platform_mappings when the
-- buy was made, "upstream": ids of objects the adapter created besides the
-- order and line items, and, while the ad server does not have the whole buy,
-- "failed_step", "error" and "failed_at"}. A retry resumes from here instead
-- of creating anything twice.
ALTER TABLE media_buys ADD COLUMN adapter_state jsonb NOT NULL DEFAULT '{}'::jsonb
  CHECK (jsonb_typeof(adapter_state) = 'object');
