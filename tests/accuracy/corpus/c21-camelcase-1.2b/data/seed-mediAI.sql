-- MediAI Distributed Database Platform: seed data.
-- Run third, after schema-mediAI.sql and init-cluster.sql:
--   psql -U postgres -d mediAI -f /data/seed-mediAI.sql
-- Expected counts: 20 Patients, 14 MedicalRecords, 13 TrainingData, 18 Transactions.

-- Each patient belongs to the site of their country:
-- France -> Paris, Tunisia -> Tunis, Canada -> Montreal, Japan -> Tokyo.
INSERT INTO Patients (idPatient, name, age, city, country, siteOrigin) VALUES
    ( 1, 'Claire Dubois',    45, 'Paris',       'France',  'Paris'),
    ( 2, 'Julien Martin',    38, 'Lyon',        'France',  'Paris'),
    ( 3, 'Sophie Laurent',   61, 'Marseille',   'France',  'Paris'),
    ( 4, 'Antoine Moreau',   29, 'Bordeaux',    'France',  'Paris'),
    ( 5, 'Camille Lefevre',  53, 'Lille',       'France',  'Paris'),
    ( 6, 'Mohamed Benali',   52, 'Tunis',       'Tunisia', 'Tunis'),
    ( 7, 'Amira Trabelsi',   34, 'Sfax',        'Tunisia', 'Tunis'),
    ( 8, 'Youssef Gharbi',   47, 'Sousse',      'Tunisia', 'Tunis'),
    ( 9, 'Leila Mansouri',   27, 'Tunis',       'Tunisia', 'Tunis'),
    (10, 'Karim Jaziri',     66, 'Bizerte',     'Tunisia', 'Tunis'),
    (11, 'Emily Tremblay',   41, 'Montreal',    'Canada',  'Montreal'),
    (12, 'Liam Gagnon',      58, 'Quebec City', 'Canada',  'Montreal'),
    (13, 'Olivia Roy',       33, 'Toronto',     'Canada',  'Montreal'),
    (14, 'Noah Cote',        24, 'Ottawa',      'Canada',  'Montreal'),
    (15, 'Chloe Bouchard',   70, 'Montreal',    'Canada',  'Montreal'),
    (16, 'Yuki Tanaka',      36, 'Tokyo',       'Japan',   'Tokyo'),
    (17, 'Haruto Sato',      49, 'Osaka',       'Japan',   'Tokyo'),
    (18, 'Aiko Suzuki',      62, 'Kyoto',       'Japan',   'Tokyo'),
    (19, 'Kenji Watanabe',   55, 'Tokyo',       'Japan',   'Tokyo'),
    (20, 'Sakura Ito',       28, 'Yokohama',    'Japan',   'Tokyo');

INSERT INTO MedicalRecords
    (idRecord, idPatient, country, date, examType, result, aiModelUsed, aiScore, aiVersion)
VALUES
    ( 1,  1, 'France',  '2024-01-15', 'Chest X-ray',       'No abnormality detected',         'PulmoVision-1', 0.9412, 'v1.4'),
    ( 2,  2, 'France',  '2024-02-03', 'Blood test',        'Mild anaemia',                    'DiagNet-3',     0.8765, 'v3.1'),
    ( 3,  3, 'France',  '2024-03-22', 'ECG',               'Atrial fibrillation',             'CardioScan-2',  0.9123, 'v2.0'),
    ( 4,  6, 'Tunisia', '2024-01-28', 'Kidney ultrasound', 'Stage 2 chronic kidney disease',  'NephroAI-1',    0.9634, 'v1.2'),
    ( 5,  6, 'Tunisia', '2024-04-10', 'Creatinine test',   'Elevated creatinine',             'NephroAI-1',    0.9282, 'v1.2'),
    ( 6,  6, 'Tunisia', '2024-06-05', 'Blood test',        'HbA1c at 7.9 percent',            'DiagNet-3',     0.8457, 'v3.1'),
    ( 7,  8, 'Tunisia', '2024-02-19', 'ECG',               'Normal sinus rhythm',             'CardioScan-2',  0.8892, 'v2.0'),
    ( 8, 11, 'Canada',  '2024-03-02', 'Brain MRI',         'No lesion found',                 'DiagNet-3',     0.9056, 'v3.2'),
    ( 9, 12, 'Canada',  '2024-05-14', 'Chest CT',          'Small nodule, follow-up advised', 'PulmoVision-1', 0.8713, 'v1.4'),
    (10, 15, 'Canada',  '2024-07-08', 'Kidney ultrasound', 'Normal kidneys',                  'NephroAI-1',    0.9378, 'v1.3'),
    (11, 16, 'Japan',   '2024-02-25', 'Blood test',        'Normal',                          'DiagNet-3',     0.9215, 'v3.2'),
    (12, 17, 'Japan',   '2024-04-30', 'ECG',               'Left ventricular hypertrophy',    'CardioScan-2',  0.9547, 'v2.1'),
    (13, 19, 'Japan',   '2024-06-18', 'Chest X-ray',       'Mild pneumonia',                  'PulmoVision-1', 0.8839, 'v1.5'),
    (14, 20, 'Japan',   '2024-08-01', 'Kidney ultrasound', 'Kidney stone of 4 mm',            'NephroAI-1',    0.9002, 'v1.3');

INSERT INTO TrainingData
    (idData, siteOrigin, modelName, datasetName, nbSamples, accuracy, collectedAt)
VALUES
    ( 1, 'Paris',    'DiagNet-3',     'Paris lab panels',        12000, 0.9120, '2023-09-12'),
    ( 2, 'Paris',    'CardioScan-2',  'Paris ECG archive',        8500, 0.9030, '2023-10-04'),
    ( 3, 'Paris',    'PulmoVision-1', 'Paris chest X-ray 2023',  15000, 0.9350, '2023-11-20'),
    ( 4, 'Paris',    'DermaScan-1',   'Paris dermatology',        4000, 0.8810, '2024-01-08'),
    ( 5, 'Tunis',    'NephroAI-1',    'Tunis renal cohort',       6200, 0.9410, '2023-08-30'),
    ( 6, 'Tunis',    'DiagNet-3',     'Tunis lab panels',         9800, 0.8870, '2023-12-15'),
    ( 7, 'Tunis',    'CardioScan-2',  'Sfax cardiology',          3100, 0.8690, '2024-02-02'),
    ( 8, 'Montreal', 'DiagNet-3',     'Montreal neuro MRI',       7400, 0.9060, '2023-10-28'),
    ( 9, 'Montreal', 'PulmoVision-1', 'Quebec chest CT',         11200, 0.8950, '2024-01-19'),
    (10, 'Montreal', 'NephroAI-1',    'Montreal nephrology',      5300, 0.9280, '2024-03-05'),
    (11, 'Tokyo',    'CardioScan-2',  'Tokyo ECG registry',      20500, 0.9510, '2023-07-17'),
    (12, 'Tokyo',    'PulmoVision-1', 'Osaka chest X-ray',       13700, 0.8990, '2023-11-02'),
    (13, 'Tokyo',    'NephroAI-1',    'Kyoto renal imaging',      4600, 0.9150, '2024-02-27');

INSERT INTO Transactions
    (idTrans, idPatient, country, date, type, amount, currency, status)
VALUES
    ( 1,  1, 'France',  '2024-01-15', 'imaging',      120.00, 'EUR', 'paid'),
    ( 2,  2, 'France',  '2024-02-03', 'lab test',      45.50, 'EUR', 'paid'),
    ( 3,  3, 'France',  '2024-03-22', 'consultation',  60.00, 'EUR', 'paid'),
    ( 4,  4, 'France',  '2024-04-11', 'consultation',  60.00, 'EUR', 'pending'),
    ( 5,  5, 'France',  '2024-05-27', 'surgery',     1850.00, 'EUR', 'refunded'),
    ( 6,  6, 'Tunisia', '2024-01-28', 'imaging',      180.00, 'TND', 'paid'),
    ( 7,  6, 'Tunisia', '2024-04-10', 'lab test',      55.00, 'TND', 'paid'),
    ( 8,  6, 'Tunisia', '2024-06-05', 'lab test',      40.00, 'TND', 'pending'),
    ( 9,  8, 'Tunisia', '2024-02-19', 'consultation',  70.00, 'TND', 'paid'),
    (10,  9, 'Tunisia', '2024-03-30', 'medication',    95.00, 'TND', 'paid'),
    (11, 11, 'Canada',  '2024-03-02', 'imaging',      950.00, 'CAD', 'paid'),
    (12, 12, 'Canada',  '2024-05-14', 'imaging',      720.00, 'CAD', 'pending'),
    (13, 13, 'Canada',  '2024-06-21', 'consultation', 150.00, 'CAD', 'paid'),
    (14, 15, 'Canada',  '2024-07-08', 'imaging',      430.00, 'CAD', 'refunded'),
    (15, 16, 'Japan',   '2024-02-25', 'lab test',    8200.00, 'JPY', 'paid'),
    (16, 17, 'Japan',   '2024-04-30', 'consultation', 6500.00, 'JPY', 'paid'),
    (17, 19, 'Japan',   '2024-06-18', 'imaging',    24000.00, 'JPY', 'pending'),
    (18, 20, 'Japan',   '2024-08-01', 'imaging',    31000.00, 'JPY', 'paid');

-- The rows above chose their ids; move each sequence past them so that new rows
-- (such as the emergency record of Part 4) get fresh ids.
SELECT setval(pg_get_serial_sequence('medicalrecords', 'idrecord'), 14);
SELECT setval(pg_get_serial_sequence('trainingdata', 'iddata'), 13);
SELECT setval(pg_get_serial_sequence('transactions', 'idtrans'), 18);
