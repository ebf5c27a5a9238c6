-- MediAI variant data set "reshuffled": the lab's schema with other rows, loaded on the
-- grading cluster instead of seed-mediAI.sql (same schema, same distribution script).
-- Each change defeats an answer shaped by the seed's rows rather than computed:
--   * other ids, interleaved across sites: id lists and id ranges typed from the seed
--     (WHERE idData IN (1, 2, 3, 4), BETWEEN 5 AND 7) select other rows;
--   * other row counts per site and a fifth site (Dakar, Senegal): a LIMIT that cut right
--     on the seed cuts wrong, and a site derived from a hard-coded country list misses one;
--   * other values and scores (Tokyo's models score highest): values typed in with
--     VALUES or SELECT 'Paris', ... differ, and so does the order of 3.2;
--   * dataset names that do not start with their site (a Tokyo set named after Paris):
--     a filter on a seed-specific value picks the wrong rows.
-- Each patient still belongs to the site of their country, as in the seed.
-- Counts: 20 Patients, 18 MedicalRecords, 14 TrainingData, 16 Transactions.

INSERT INTO Patients (idPatient, name, age, city, country, siteOrigin) VALUES
    (31, 'Mohamed Benali',   52, 'Tunis',       'Tunisia', 'Tunis'),
    (32, 'Ines Haddad',      44, 'Sousse',      'Tunisia', 'Tunis'),
    (33, 'Paul Girard',      39, 'Nantes',      'France',  'Paris'),
    (34, 'Hiroshi Kato',     58, 'Tokyo',       'Japan',   'Tokyo'),
    (35, 'Awa Diop',         31, 'Dakar',       'Senegal', 'Dakar'),
    (36, 'Nadia Belhaj',     63, 'Tunis',       'Tunisia', 'Tunis'),
    (37, 'Marie Petit',      71, 'Paris',       'France',  'Paris'),
    (38, 'Ethan Pelletier',  46, 'Montreal',    'Canada',  'Montreal'),
    (39, 'Yui Nakamura',     42, 'Osaka',       'Japan',   'Tokyo'),
    (40, 'Sami Ferchichi',   37, 'Sfax',        'Tunisia', 'Tunis'),
    (41, 'Lucas Fortin',     29, 'Laval',       'Canada',  'Montreal'),
    (42, 'Mei Kobayashi',    66, 'Sapporo',     'Japan',   'Tokyo'),
    (43, 'Omar Ba',          54, 'Thies',       'Senegal', 'Dakar'),
    (44, 'Hela Ayari',       48, 'Monastir',    'Tunisia', 'Tunis'),
    (45, 'Zoe Lavoie',       35, 'Quebec City', 'Canada',  'Montreal'),
    (46, 'Ren Yamamoto',     51, 'Nagoya',      'Japan',   'Tokyo'),
    (47, 'Lea Garnier',      26, 'Nice',        'France',  'Paris'),
    (48, 'Rania Jlassi',     59, 'Gabes',       'Tunisia', 'Tunis'),
    (49, 'Takumi Ito',       33, 'Kobe',        'Japan',   'Tokyo'),
    (50, 'William Caron',    62, 'Gatineau',    'Canada',  'Montreal');

INSERT INTO MedicalRecords
    (idRecord, idPatient, country, date, examType, result, aiModelUsed, aiScore, aiVersion)
VALUES
    (201, 34, 'Japan',   '2024-01-09', 'ECG',               'Normal sinus rhythm',            'CardioScan-2',  0.9871, 'v2.1'),
    (202, 31, 'Tunisia', '2024-01-17', 'Kidney ultrasound', 'Stage 1 chronic kidney disease', 'NephroAI-1',    0.8123, 'v1.2'),
    (203, 33, 'France',  '2024-02-02', 'Chest X-ray',       'No abnormality detected',        'PulmoVision-1', 0.8555, 'v1.4'),
    (204, 35, 'Senegal', '2024-02-14', 'Blood test',        'Malaria antigen negative',       'DiagNet-3',     0.9333, 'v3.2'),
    (205, 39, 'Japan',   '2024-02-20', 'Chest X-ray',       'Mild bronchitis',                'PulmoVision-1', 0.9677, 'v1.5'),
    (206, 36, 'Tunisia', '2024-03-03', 'Blood test',        'Low ferritin',                   'DiagNet-3',     0.9011, 'v3.1'),
    (207, 38, 'Canada',  '2024-03-11', 'Brain MRI',         'No lesion found',                'DiagNet-3',     0.8244, 'v3.2'),
    (208, 31, 'Tunisia', '2024-03-29', 'Creatinine test',   'Normal creatinine',              'NephroAI-1',    0.8467, 'v1.2'),
    (209, 42, 'Japan',   '2024-04-05', 'Kidney ultrasound', 'Normal kidneys',                 'NephroAI-1',    0.9590, 'v1.3'),
    (210, 37, 'France',  '2024-04-18', 'ECG',               'Sinus bradycardia',              'CardioScan-2',  0.9744, 'v2.0'),
    (211, 40, 'Tunisia', '2024-05-06', 'ECG',               'Normal sinus rhythm',            'CardioScan-2',  0.8801, 'v2.0'),
    (212, 41, 'Canada',  '2024-05-21', 'Chest CT',          'No nodule',                      'PulmoVision-1', 0.9166, 'v1.4'),
    (213, 43, 'Senegal', '2024-06-02', 'Chest X-ray',       'Healed tuberculosis scar',       'PulmoVision-1', 0.8912, 'v1.5'),
    (214, 46, 'Japan',   '2024-06-15', 'Blood test',        'Normal',                         'DiagNet-3',     0.9422, 'v3.2'),
    (215, 44, 'Tunisia', '2024-07-01', 'Blood test',        'HbA1c at 6.1 percent',           'DiagNet-3',     0.8634, 'v3.1'),
    (216, 49, 'Japan',   '2024-07-19', 'ECG',               'Premature beats',                'CardioScan-2',  0.9505, 'v2.1'),
    (217, 31, 'Tunisia', '2024-08-08', 'Blood test',        'Normal',                         'DiagNet-3',     0.8378, 'v3.1'),
    (218, 50, 'Canada',  '2024-08-20', 'Kidney ultrasound', 'Small cyst',                     'NephroAI-1',    0.8066, 'v1.3');

INSERT INTO TrainingData
    (idData, siteOrigin, modelName, datasetName, nbSamples, accuracy, collectedAt)
VALUES
    (21, 'Tokyo',    'CardioScan-2',  'Paris-Tokyo cardiology exchange',  9100, 0.9420, '2023-09-01'),
    (22, 'Tunis',    'NephroAI-1',    'Tunis renal cohort 2024',          7100, 0.9220, '2024-01-12'),
    (23, 'Dakar',    'DiagNet-3',     'Dakar lab panels',                 5600, 0.8800, '2024-02-10'),
    (24, 'Paris',    'PulmoVision-1', 'Ile-de-France chest X-ray',       16200, 0.9310, '2023-10-15'),
    (25, 'Montreal', 'DiagNet-3',     'Montreal neuro MRI 2024',          8000, 0.9120, '2024-03-01'),
    (26, 'Tunis',    'DiagNet-3',     'Sousse lab panels',                4300, 0.8790, '2023-11-05'),
    (27, 'Tunis',    'CardioScan-2',  'Sfax cardiology 2024',             3900, 0.8710, '2024-04-22'),
    (28, 'Montreal', 'PulmoVision-1', 'Quebec chest CT 2024',            10100, 0.9010, '2024-02-14'),
    (29, 'Paris',    'DermaScan-1',   'Lyon dermatology',                 4700, 0.8890, '2024-05-03'),
    (30, 'Tokyo',    'NephroAI-1',    'Kyoto renal imaging 2024',         5100, 0.9180, '2024-03-19'),
    (31, 'Tunis',    'PulmoVision-1', 'Tunis chest X-ray',                6600, 0.8930, '2024-06-01'),
    (32, 'Montreal', 'NephroAI-1',    'Montreal nephrology 2024',         5900, 0.9260, '2024-05-27'),
    (33, 'Dakar',    'PulmoVision-1', 'Dakar chest X-ray',                3300, 0.8610, '2024-06-12'),
    (34, 'Tokyo',    'PulmoVision-1', 'Osaka chest X-ray 2024',          12900, 0.9050, '2024-07-08');

INSERT INTO Transactions
    (idTrans, idPatient, country, date, type, amount, currency, status)
VALUES
    (301, 34, 'Japan',   '2024-01-09', 'consultation',  7000.00, 'JPY', 'paid'),
    (302, 31, 'Tunisia', '2024-01-17', 'imaging',        190.00, 'TND', 'paid'),
    (303, 33, 'France',  '2024-02-02', 'imaging',        110.00, 'EUR', 'pending'),
    (304, 35, 'Senegal', '2024-02-14', 'lab test',     15000.00, 'XOF', 'paid'),
    (305, 36, 'Tunisia', '2024-03-03', 'lab test',        48.00, 'TND', 'paid'),
    (306, 38, 'Canada',  '2024-03-11', 'imaging',        980.00, 'CAD', 'paid'),
    (307, 37, 'France',  '2024-04-18', 'consultation',    65.00, 'EUR', 'paid'),
    (308, 40, 'Tunisia', '2024-05-06', 'consultation',    75.00, 'TND', 'refunded'),
    (309, 41, 'Canada',  '2024-05-21', 'imaging',        760.00, 'CAD', 'pending'),
    (310, 46, 'Japan',   '2024-06-15', 'lab test',      8900.00, 'JPY', 'paid'),
    (311, 44, 'Tunisia', '2024-07-01', 'lab test',        52.00, 'TND', 'pending'),
    (312, 47, 'France',  '2024-07-12', 'surgery',       2100.00, 'EUR', 'paid'),
    (313, 49, 'Japan',   '2024-07-19', 'consultation',  6800.00, 'JPY', 'pending'),
    (314, 45, 'Canada',  '2024-08-02', 'consultation',   160.00, 'CAD', 'paid'),
    (315, 48, 'Tunisia', '2024-08-25', 'medication',      88.00, 'TND', 'paid'),
    (316, 43, 'Senegal', '2024-09-01', 'consultation',  9000.00, 'XOF', 'paid'),
    -- A second payment of a French patient: in the seed every French patient pays once,
    -- so a reconstruction joined on idPatient instead of idTrans looks right there only.
    (317, 33, 'France',  '2024-09-20', 'lab test',        42.00, 'EUR', 'paid');

SELECT setval(pg_get_serial_sequence('medicalrecords', 'idrecord'), 218);
SELECT setval(pg_get_serial_sequence('trainingdata', 'iddata'), 34);
SELECT setval(pg_get_serial_sequence('transactions', 'idtrans'), 317);
