-- MediAI Distributed Database Platform: schema.
-- Run first, on the coordinator:  psql -U postgres -d mediAI -f /data/schema-mediAI.sql
--
-- Identifiers are unquoted, so PostgreSQL folds them to lower case: siteOrigin is stored as
-- siteorigin. Every primary key contains the table's distribution column, because Citus can
-- only enforce uniqueness inside one shard.

DROP TABLE IF EXISTS Transactions, TrainingData, MedicalRecords, Patients CASCADE;

CREATE TABLE Patients (
    idPatient  integer NOT NULL,
    name       text    NOT NULL,
    age        integer CHECK (age BETWEEN 0 AND 130),
    city       text    NOT NULL,
    country    text    NOT NULL,
    siteOrigin text    NOT NULL,
    PRIMARY KEY (idPatient, country)
);

-- idRecord is generated, so a new record can be inserted without choosing an id.
CREATE TABLE MedicalRecords (
    idRecord    bigserial,
    idPatient   integer      NOT NULL,
    country     text         NOT NULL,
    date        date         NOT NULL,
    examType    text         NOT NULL,
    result      text,
    aiModelUsed text,
    aiScore     numeric(5,4) CHECK (aiScore BETWEEN 0 AND 1),
    aiVersion   text,
    PRIMARY KEY (idRecord, country)
);

-- The data sets each site used to train its AI models.
CREATE TABLE TrainingData (
    idData      bigserial,
    siteOrigin  text         NOT NULL,
    modelName   text         NOT NULL,
    datasetName text         NOT NULL,
    nbSamples   integer      NOT NULL CHECK (nbSamples > 0),
    accuracy    numeric(5,4) CHECK (accuracy BETWEEN 0 AND 1),
    collectedAt date         NOT NULL,
    PRIMARY KEY (idData, siteOrigin)
);

CREATE TABLE Transactions (
    idTrans   bigserial,
    idPatient integer       NOT NULL,
    country   text          NOT NULL,
    date      date          NOT NULL,
    type      text          NOT NULL,
    amount    numeric(12,2) NOT NULL CHECK (amount >= 0),
    currency  char(3)       NOT NULL,
    status    text          NOT NULL,
    PRIMARY KEY (idTrans, country)
);
