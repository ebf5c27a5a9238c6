-- Exercise 2.1: the handout's replication commands. The factor only applies to tables
-- distributed after the SET, so the lab's shards keep one placement each.
SET citus.shard_replication_factor = 2;

SHOW citus.shard_replication_factor;

SELECT shardid, nodename, nodeport, shardstate
FROM pg_dist_shard_placement
ORDER BY shardid;

SELECT COUNT(*) AS nb_shards, MIN(nb) AS min_placements, MAX(nb) AS max_placements
FROM (SELECT shardid, COUNT(*) AS nb FROM pg_dist_shard_placement GROUP BY shardid) per_shard;
