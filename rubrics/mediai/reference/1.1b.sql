-- Exercise 1.1b: rows per fragment, the fragments' total and the table's own count.
SELECT 'Paris' AS fragment, COUNT(*) AS nb_rows FROM TrainingData_Paris
UNION ALL
SELECT 'Tunis', COUNT(*) FROM TrainingData_Tunis
UNION ALL
SELECT 'Montreal', COUNT(*) FROM TrainingData_Montreal
UNION ALL
SELECT 'Tokyo', COUNT(*) FROM TrainingData_Tokyo
UNION ALL
SELECT 'Total of fragments',
       (SELECT COUNT(*) FROM TrainingData_Paris)
     + (SELECT COUNT(*) FROM TrainingData_Tunis)
     + (SELECT COUNT(*) FROM TrainingData_Montreal)
     + (SELECT COUNT(*) FROM TrainingData_Tokyo)
UNION ALL
SELECT 'TrainingData', COUNT(*) FROM TrainingData;
