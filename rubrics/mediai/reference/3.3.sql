-- Exercise 3.3 (one possible answer): for each country, how much have patients aged 40 or
-- more already paid, in how many payments? Filters on status and age, neither a distribution key.
SELECT t.country, t.currency, COUNT(*) AS nb_payments, SUM(t.amount) AS total_paid
FROM Transactions t
JOIN Patients p ON p.idPatient = t.idPatient AND p.country = t.country
WHERE t.status = 'paid' AND p.age >= 40
GROUP BY t.country, t.currency
ORDER BY t.country;
