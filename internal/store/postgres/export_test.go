package postgres

// MigrationLockID is migrationLockID, for the external tests.
var MigrationLockID = migrationLockID
