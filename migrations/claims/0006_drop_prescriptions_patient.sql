-- No query looks prescriptions up by patient here; the index only cost every insert its
-- upkeep and, on a young table without statistics, tempted the planner into scanning a whole
-- clinic (clinic_id is its first column) for a lookup by id, a plan a pooled connection then
-- keeps as its generic plan while the table grows.
DROP INDEX prescriptions_patient;
