CREATE OR REPLACE VIEW TrainingData_Paris AS
  SELECT * FROM TrainingData
  WHERE siteOrigin = 'Paris';

CREATE OR REPLACE VIEW TrainingData_Tunis AS
  SELECT * FROM TrainingData
  WHERE siteOrigin = 'Tunis';

CREATE OR REPLACE VIEW TrainingData_Montreal AS
  SELECT * FROM TrainingData
  WHERE siteOrigin = 'Montreal';

CREATE OR REPLACE VIEW TrainingData_Tokyo AS
  SELECT * FROM TrainingData
  WHERE siteOrigin = 'Tokyo';
