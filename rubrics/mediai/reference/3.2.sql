-- Exercise 3.2: a record's site is its patient's siteOrigin; the join keeps the distribution
-- key (country) so that Citus pushes it down shard by shard.
SELECT p.siteOrigin AS site, mr.aiModelUsed, COUNT(*) AS nb_exams,
       ROUND(AVG(mr.aiScore), 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;
