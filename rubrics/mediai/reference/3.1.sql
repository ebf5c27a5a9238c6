-- Exercise 3.1: the handout's query Q1, then its distributed plan.
SELECT
  p.name, p.age, p.city, p.country,
  mr.date, mr.examType, mr.result,
  mr.aiModelUsed, mr.aiScore
FROM Patients p
JOIN MedicalRecords mr
  ON p.idPatient = mr.idPatient
  AND p.country  = mr.country
WHERE p.name = 'Mohamed Benali'
ORDER BY mr.date DESC;

EXPLAIN (VERBOSE)
SELECT
  p.name, p.age, p.city, p.country,
  mr.date, mr.examType, mr.result,
  mr.aiModelUsed, mr.aiScore
FROM Patients p
JOIN MedicalRecords mr
  ON p.idPatient = mr.idPatient
  AND p.country  = mr.country
WHERE p.name = 'Mohamed Benali'
ORDER BY mr.date DESC;
