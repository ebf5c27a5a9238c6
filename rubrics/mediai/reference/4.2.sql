-- Exercise 4.2: the handout's block, run as written. On Citus the PREPARE TRANSACTION fails
-- ("cannot use 2PC in transactions involving multiple servers"), the transaction is rolled
-- back, and COMMIT PREPARED then finds no such transaction.
BEGIN;

INSERT INTO MedicalRecords
  (idPatient, country, date, examType, result, aiModelUsed, aiScore, aiVersion)
VALUES
  (16, 'Japan', NOW()::DATE, 'Emergency consultation',
   'General check — patient travelling', 'DiagNet-3', 0.8934, 'v3.2');

INSERT INTO Transactions
  (idPatient, country, date, type, amount, currency, status)
VALUES
  (16, 'Japan', NOW(), 'consultation', 15000, 'JPY', 'pending');

PREPARE TRANSACTION 'mediAI_emergency_yuki_001';

SELECT gid, prepared, owner, database
FROM pg_prepared_xacts;

COMMIT PREPARED 'mediAI_emergency_yuki_001';

-- Were the emergency rows inserted?
SELECT
  (SELECT COUNT(*) FROM MedicalRecords
   WHERE idPatient = 16 AND examType = 'Emergency consultation') AS emergency_records,
  (SELECT COUNT(*) FROM Transactions
   WHERE idPatient = 16 AND type = 'consultation' AND amount = 15000) AS emergency_charges;
