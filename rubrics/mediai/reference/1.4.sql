-- Exercise 1.4: shards per table, then the worker holding the shard of Tokyo's TrainingData.
SELECT logicalrelid, COUNT(*) AS nb_shards
FROM pg_dist_shard
GROUP BY logicalrelid
ORDER BY logicalrelid;

SELECT s.shardid, p.nodename, p.nodeport
FROM pg_dist_shard s
JOIN pg_dist_shard_placement p ON p.shardid = s.shardid
WHERE s.shardid = get_shard_id_for_distribution_column('trainingdata', 'Tokyo');
