-- Signalroom's own database (OAuth installations), beside Temporal's.
CREATE USER signalroom WITH PASSWORD 'signalroom';
CREATE DATABASE signalroom OWNER signalroom;
