-- MediAI Distributed Database Platform: cluster set-up.
-- Run second, on the coordinator (citus_master), after schema-mediAI.sql:
--   psql -U postgres -d mediAI -f /data/init-cluster.sql
-- Run it once: a worker cannot be registered twice.

-- Step 1: register the three workers with the coordinator (container name, port inside Docker).
SELECT citus_add_node('citus_worker1', 5432);
SELECT citus_add_node('citus_worker2', 5432);
SELECT citus_add_node('citus_worker3', 5432);

-- The three workers must be listed and active.
SELECT nodeid, nodename, nodeport, isactive
FROM pg_dist_node
ORDER BY nodeid;

-- Step 2: distribute the tables. Citus takes the column name exactly as stored: the schema
-- does not quote siteOrigin, so it is stored folded to lower case, 'siteorigin'.
SELECT create_distributed_table('patients', 'country');
SELECT create_distributed_table('trainingdata', 'siteorigin');
-- Same key and same shards as Patients, so a patient and their records live together.
SELECT create_distributed_table('medicalrecords', 'country', colocate_with => 'patients');
SELECT create_distributed_table('transactions', 'country');

-- Step 3: where did the shards go?
SELECT s.logicalrelid, s.shardid, p.nodename
FROM pg_dist_shard s
JOIN pg_dist_shard_placement p ON s.shardid = p.shardid
ORDER BY s.logicalrelid, s.shardid;
