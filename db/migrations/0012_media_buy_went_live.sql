-- Whether the buy has been live (AdCP active or paused) (issue 22). AdCP's
-- media-buy lifecycle has no edge back from active or paused to
-- pending_creatives or pending_start, so a buy that went live reads active
-- (or paused, completed, canceled) from then on, even without creatives or
-- before its flight: resuming a paused buy makes it active.
ALTER TABLE media_buys ADD COLUMN went_live boolean NOT NULL DEFAULT false;
