-- Exercise 1.3: the France views are given in the exercise file; the six others follow the
-- same pattern. The reference creates all eight so that it stands alone.
CREATE OR REPLACE VIEW Trans_FR_Financial AS
  SELECT idTrans, idPatient, date, amount, currency
  FROM Transactions WHERE country = 'France';

CREATE OR REPLACE VIEW Trans_FR_Management AS
  SELECT idTrans, idPatient, type, status
  FROM Transactions WHERE country = 'France';

CREATE OR REPLACE VIEW Trans_TN_Financial AS
  SELECT idTrans, idPatient, date, amount, currency
  FROM Transactions WHERE country = 'Tunisia';

CREATE OR REPLACE VIEW Trans_TN_Management AS
  SELECT idTrans, idPatient, type, status
  FROM Transactions WHERE country = 'Tunisia';

CREATE OR REPLACE VIEW Trans_CA_Financial AS
  SELECT idTrans, idPatient, date, amount, currency
  FROM Transactions WHERE country = 'Canada';

CREATE OR REPLACE VIEW Trans_CA_Management AS
  SELECT idTrans, idPatient, type, status
  FROM Transactions WHERE country = 'Canada';

CREATE OR REPLACE VIEW Trans_JP_Financial AS
  SELECT idTrans, idPatient, date, amount, currency
  FROM Transactions WHERE country = 'Japan';

CREATE OR REPLACE VIEW Trans_JP_Management AS
  SELECT idTrans, idPatient, type, status
  FROM Transactions WHERE country = 'Japan';

-- Reconstruction of France's transactions, in the column order the exercise asks for.
SELECT fin.idTrans, fin.idPatient, fin.date, mgt.type, fin.amount, fin.currency, mgt.status
FROM Trans_FR_Financial fin
JOIN Trans_FR_Management mgt ON fin.idTrans = mgt.idTrans
ORDER BY fin.idTrans;
