-- Exercise 1.2b: the two vertical fragments of MedicalRecords as tables; idRecord in both.
CREATE TABLE MedicalRecords_Clinical (
    idRecord  bigint  PRIMARY KEY,
    idPatient integer NOT NULL,
    country   text    NOT NULL,
    date      date    NOT NULL,
    examType  text    NOT NULL,
    result    text
);

CREATE TABLE MedicalRecords_AI (
    idRecord    bigint  PRIMARY KEY,
    idPatient   integer NOT NULL,
    country     text    NOT NULL,
    aiModelUsed text,
    aiScore     numeric(5,4),
    aiVersion   text
);

INSERT INTO MedicalRecords_Clinical (idRecord, idPatient, country, date, examType, result)
SELECT idRecord, idPatient, country, date, examType, result
FROM MedicalRecords;

INSERT INTO MedicalRecords_AI (idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion)
SELECT idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion
FROM MedicalRecords;

-- Reconstruction: the join on idRecord gives back every column of every record.
SELECT c.idRecord, c.idPatient, c.country, c.date, c.examType, c.result,
       a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c
JOIN MedicalRecords_AI a ON a.idRecord = c.idRecord
ORDER BY c.idRecord;
