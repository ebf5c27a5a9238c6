-- Grading clusters register their own workers; this only distributes the lab's tables,
-- exactly as template/data/init-cluster.sql does (folded column names, co-location).
SELECT create_distributed_table('patients', 'country');
SELECT create_distributed_table('trainingdata', 'siteorigin');
SELECT create_distributed_table('medicalrecords', 'country', colocate_with => 'patients');
SELECT create_distributed_table('transactions', 'country');
