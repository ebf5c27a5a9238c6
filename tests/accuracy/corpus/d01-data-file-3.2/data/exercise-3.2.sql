SELECT p.siteOrigin AS site, mr.aiModelUsed, COUNT(*) AS nb_exams,
       ROUND(AVG(mr.aiScore), 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;
