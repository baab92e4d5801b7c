"""Service officers: assignments of bureau users to key enterprises and stores, their visit
and contact log (problems raised become hotline tickets), their page and the coverage."""
